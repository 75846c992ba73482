"""The test PKI, made with the openssl CLI: a cluster CA, the server
certificate (SAN 127.0.0.1, ::1, localhost, kubernetes), client
certificates for the certificate users, and a second unrelated CA with a
client certificate (for wrong-CA and foreign-certificate tests).  EC P-256
keys keep start-up fast."""
import os
import subprocess
import threading

CURVE = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1",
         "-nodes"]

# name -> (subject, signing CA, extensions)
CLIENTS = {
    "admin": ("/O=system:masters/CN=cert-admin", "ca"),
    "nobody": ("/CN=cert-nobody", "ca"),
    "foreign": ("/O=system:masters/CN=cert-foreign", "rogue-ca"),
}


def _run(args, cwd):
    subprocess.run(["openssl"] + args, cwd=cwd, check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _ca(d, name, cn):
    if os.path.exists(os.path.join(d, name + ".crt")):
        return None
    return subprocess.Popen(
        ["openssl", "req", "-x509"] + CURVE +
        ["-keyout", name + ".key", "-out", name + ".crt", "-days", "3650",
         "-subj", "/CN=" + cn,
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign,digitalSignature"],
        cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def _leaf(d, name, subj, ca, ext):
    if os.path.exists(os.path.join(d, name + ".crt")):
        return
    extfile = os.path.join(d, name + ".ext")
    with open(extfile, "w") as f:
        f.write(ext)
    _run(["req", "-new"] + CURVE + ["-keyout", name + ".key", "-out",
                                     name + ".csr", "-subj", subj], d)
    _run(["x509", "-req", "-in", name + ".csr", "-CA", ca + ".crt",
          "-CAkey", ca + ".key", "-set_serial", str(int.from_bytes(
              os.urandom(8), "big")), "-out", name + ".crt",
          "-days", "3650", "-extfile", extfile, "-extensions", "v3"], d)
    os.unlink(os.path.join(d, name + ".csr"))
    os.unlink(extfile)


def ensure(d):
    """Creates whatever is missing in d; returns the file map."""
    os.makedirs(d, exist_ok=True)
    procs = [p for p in (_ca(d, "ca", "kube-sim-ca"),
                         _ca(d, "rogue-ca", "kube-sim-rogue-ca")) if p]
    for p in procs:
        _, err = p.communicate()
        if p.returncode != 0:
            raise RuntimeError("openssl failed: %s" % err.decode())
    jobs = [("server", "/CN=kube-apiserver", "ca",
             "[v3]\nsubjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost,"
             "DNS:kubernetes,DNS:kubernetes.default,"
             "DNS:kubernetes.default.svc\nextendedKeyUsage=serverAuth\n"
             "keyUsage=critical,digitalSignature,keyEncipherment\n")]
    for name, (subj, ca) in CLIENTS.items():
        jobs.append((name, subj, ca,
                     "[v3]\nextendedKeyUsage=clientAuth\nkeyUsage=critical,"
                     "digitalSignature,keyEncipherment\n"))
    errors = []

    def one(job):
        try:
            _leaf(d, *job)
        except subprocess.CalledProcessError as e:
            errors.append(e.stderr.decode(errors="replace"))
    threads = [threading.Thread(target=one, args=(j,)) for j in jobs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise RuntimeError("openssl failed: %s" % errors[0])
    for f in os.listdir(d):
        if f.endswith(".key"):
            os.chmod(os.path.join(d, f), 0o600)
    return {n: os.path.join(d, n) for n in os.listdir(d)}
