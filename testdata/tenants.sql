-- Tenant containers of two orgs, the same user and service name in both
-- (the isolation case of the multi-tenancy design), plus a second user.
INSERT INTO tenant_container (id, tenant_org_id, user, service_name,
    namespace, replicas, cpu_request, cpu_limit, mem_request, mem_limit,
    disk_size, gpu_count, dimension, vector_count, index_limit, status,
    created_at, updated_at, sync_time) VALUES
('tenant_alice_search_1704067200', 'org-001', 'alice', 'search',
    'org-001-alice-search', 2, '1', '4', '2Gi', '8Gi', '50Gi', 1, 512,
    1000000, 10, 'created', '2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z',
    '2024-01-01T00:01:32Z'),
('tenant_bob_image-search_1704070800', 'org-001', 'bob', 'image-search',
    'org-001-bob-image-search', 1, '500m', '2', '1Gi', '2Gi', '10Gi', 0,
    128, 100000, 0, 'created', '2024-01-01T01:00:00Z',
    '2024-01-01T01:00:00Z', '2024-01-01T01:01:00Z'),
('tenant_alice_search_1704074400', 'org-002', 'alice', 'search',
    'org-002-alice-search', 1, '500m', '2', '1Gi', '2Gi', '10Gi', 0, 128,
    10000, 0, 'created', '2024-01-01T02:00:00Z', '2024-01-01T02:00:00Z',
    '2024-01-01T02:01:00Z');
