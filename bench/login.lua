-- wrk script: POST /v1/auth/login for the bench user (a login storm).
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"email":"bench@north.ca","password":"bench password 2026"}'
