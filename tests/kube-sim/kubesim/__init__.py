"""kubesim - a local Kubernetes API server for esctl's tests.

Modules:
    pki          test CA and certificates through the openssl CLI
    util         time, names, quantities, hashing
    selectors    label and field selectors
    patch        JSON merge patch, strategic merge patch, JSON patch
    resources    the served API resources, discovery, defaults, validation
    store        the object store (resourceVersion, uid, pagination)
    tables       server-side Table output for kubectl
    controllers  StatefulSet/Deployment/ReplicaSet/DaemonSet, pods, PVCs,
                 namespaces, PDBs, garbage collection, metrics
    server       HTTPS, authentication, authorization, routing, faults,
                 request log and the /__sim admin endpoints
"""
