"""MSAL Python against the demo tenant, as a support engineer's own script would use it.

    msal_verify.py signin AUTHORITY CLIENT_ID CACHE SCOPE...
        Device-code sign-in: prints MSAL's instructions on stderr, waits for approval,
        saves the token cache to CACHE and prints {"refreshTokenIssued": bool} on stdout.
    msal_verify.py reads AUTHORITY CLIENT_ID CACHE GRAPH APP_ID REQUIRED.json SCOPE...
        Acquires silently from CACHE, forcing a refresh (the refresh token must work),
        reads what verification needs from Microsoft Graph (the app's service principal,
        its delegated grants, its app role assignments, each resource's service
        principal) and prints its own verdict per required permission on stdout.

No token is printed. TLS trust comes from REQUESTS_CA_BUNDLE.
"""
import json
import sys

import msal
import requests


def app(authority, client_id, cache_path):
    cache = msal.SerializableTokenCache()
    try:
        with open(cache_path) as f:
            cache.deserialize(f.read())
    except FileNotFoundError:
        pass
    # instance_discovery=False: the authority is not one of Microsoft's hosts, so MSAL
    # must not ask login.microsoftonline.com about it.
    pca = msal.PublicClientApplication(client_id, authority=authority, token_cache=cache, instance_discovery=False)
    return pca, cache


def save(cache, cache_path):
    with open(cache_path, "w") as f:
        f.write(cache.serialize())


def fail(what, result):
    sys.exit("%s: %s %s" % (what, result.get("error"), (result.get("error_description") or "").splitlines()[:1]))


def signin(authority, client_id, cache_path, scopes):
    pca, cache = app(authority, client_id, cache_path)
    flow = pca.initiate_device_flow(scopes=scopes)
    if "user_code" not in flow:
        fail("device flow", flow)
    print(flow["message"], file=sys.stderr, flush=True)
    result = pca.acquire_token_by_device_flow(flow)
    if "access_token" not in result:
        fail("device flow", result)
    save(cache, cache_path)
    print(json.dumps({"refreshTokenIssued": "refresh_token" in result}))


def get_all(session, url):
    """A Graph collection, following @odata.nextLink; None for 404."""
    items = []
    while url:
        resp = session.get(url)
        if resp.status_code == 404:
            return None
        resp.raise_for_status()
        body = resp.json()
        if "value" not in body:
            return body
        items += body["value"]
        url = body.get("@odata.nextLink")
    return items


def reads(authority, client_id, cache_path, graph, app_id, required_path, scopes):
    pca, cache = app(authority, client_id, cache_path)
    accounts = pca.get_accounts()
    if len(accounts) != 1:
        sys.exit("expected one account in the cache, found %d" % len(accounts))
    cached = pca.acquire_token_silent(scopes, account=accounts[0])
    refreshed = pca.acquire_token_silent(scopes, account=accounts[0], force_refresh=True)
    if not cached or not refreshed or "access_token" not in refreshed:
        fail("silent refresh", refreshed or {"error": "no token in the cache"})
    save(cache, cache_path)

    session = requests.Session()
    session.headers["Authorization"] = "Bearer " + refreshed["access_token"]
    base = graph.rstrip("/") + "/v1.0"
    key = "%s/servicePrincipals(appId='%s')" % (base, app_id)
    sp = get_all(session, key + "?$select=id,appId,displayName,accountEnabled")
    grants = get_all(session, key + "/oauth2PermissionGrants") or []
    assignments = get_all(session, key + "/appRoleAssignments") or []

    with open(required_path) as f:
        required = json.load(f)
    resources = {}
    verdicts = []
    for p in required:
        res_id = p["resourceAppId"]
        if res_id not in resources:
            resources[res_id] = get_all(session, "%s/servicePrincipals(appId='%s')?$select=id,appId,displayName,appRoles,oauth2PermissionScopes" % (base, res_id))
        res = resources[res_id]
        status, evidence = "missing", ""
        if res is None:
            status = "resource-missing"
        elif p["type"] == "Delegated":
            for g in grants:
                if g["resourceId"] == res["id"] and p["permission"] in g["scope"].split():
                    if g["consentType"] == "AllPrincipals":
                        status, evidence = "granted", g["id"]
                        break
                    status = "user-consent-only"
        else:
            roles = [r["id"] for r in res["appRoles"] if r["value"] == p["permission"]]
            for a in assignments:
                if a["resourceId"] == res["id"] and a["appRoleId"] in roles:
                    status, evidence = "granted", a["id"]
        verdicts.append({"resourceAppId": res_id, "permission": p["permission"], "type": p["type"], "status": status, "evidence": evidence})
    print(json.dumps({
        "refreshed": refreshed["access_token"] != cached["access_token"],
        "servicePrincipal": None if sp is None else {"id": sp["id"], "accountEnabled": sp["accountEnabled"]},
        "permissions": verdicts,
    }))


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "signin":
        signin(args[0], args[1], args[2], args[3:])
    elif cmd == "reads":
        reads(args[0], args[1], args[2], args[3], args[4], args[5], args[6:])
    else:
        sys.exit("unknown command " + cmd)
