"""Bench set-up shared by the load and fault scripts: raise the demo bank's limits, have the bank register
a consent for each of the first FIRMS firms (a signed paper authorisation, `document_ref`), and have the
government confirm each one (the officer's check of the paper; a bank's registration alone is `pending`).
Writes the USCCs to OUT, one a line.
usage: bank_consents.py HUB FIRMS OUT   (ADMIN_KEY, GOV_KEY, BANK_KEY in the environment)"""
import http.client, json, os, sys
from datetime import datetime, timedelta, timezone

hub, firms, out = sys.argv[1], int(sys.argv[2]), sys.argv[3]
c = http.client.HTTPConnection(hub)


def call(method, path, key, body=None):
    c.request(method, path, body=json.dumps(body) if body is not None else None,
              headers={"Authorization": f"Bearer {key}", "content-type": "application/json"})
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit(f"{method} {path}: {r.status} {data[:300]}")
    return json.loads(data)


admin, gov, bank = os.environ["ADMIN_KEY"], os.environ["GOV_KEY"], os.environ["BANK_KEY"]
bank_id = next(i["id"] for i in call("GET", "/v1/institutions", admin)
               if i["kind"] == "bank" and "Shencheng" in i["name"])
# The bank's limits, and the government's (its officer confirms a consent a firm), raised for the run.
for inst in call("GET", "/v1/institutions", admin):
    if inst["id"] == bank_id or inst["kind"] == "government":
        call("PUT", f"/v1/institutions/{inst['id']}/limits", admin,
             {"rate_per_sec": 1000000, "rate_burst": 1000000, "daily_quota": None})
usccs, cursor = [], None
while len(usccs) < firms:
    page = call("GET", "/v1/firms?limit=500" + (f"&cursor={cursor}" if cursor else ""), gov)
    usccs += [f["uscc"] for f in page["items"]]
    cursor = page["next_cursor"]
    if not cursor:
        break
usccs = usccs[:firms]
expires = (datetime.now(timezone.utc) + timedelta(days=180)).isoformat()
for u in usccs:
    made = call("POST", "/v1/consents", bank, {"firm_uscc": u, "purpose": "credit_assessment",
                                               "expires_at": expires, "document_ref": f"BENCH-{u}"})
    assert made["status"] == "pending", made
    done = call("POST", f"/v1/consents/{made['id']}/confirm", gov, {})
    assert done["status"] == "active", done
open(out, "w").write("\n".join(usccs) + "\n")
print(f"{len(usccs)} consents registered by the bank and confirmed")
