#!/usr/bin/env python3
"""Generate catalog/frameworks/*.toml from tools/frameworks_data/.

Each data file lists one framework's requirements, one per line:

    ## Section name
    id|title                 (ids and our own short labels)
    id|title|description     (public-domain frameworks only)

FedRAMP Moderate is a list of NIST SP 800-53 rev 5 ids (`*.ids`); titles come
from the NIST file. Check mappings live in tools/frameworks_data/mappings.py:
a requirement that lists checks is `automated`, every other one `manual`.

Usage: python3 tools/gen_frameworks.py [--check | --report]
  --check   regenerate in memory and fail if the files on disk differ.
  --report  list checks that no theme covers or no framework cites.
Python 3.11 standard library only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "frameworks_data"
OUT = ROOT / "catalog" / "frameworks"

sys.dont_write_bytecode = True
sys.path.insert(0, str(DATA))
import mappings  # noqa: E402

FRAMEWORKS = [
    {
        "file": "cis_aws_5.0.toml",
        "data": "cis_aws_5_0.txt",
        "id": "cis-aws-5.0",
        "name": "CIS Amazon Web Services Foundations Benchmark",
        "version": "5.0.0",
        "publisher": "Center for Internet Security",
        "source": "https://www.cisecurity.org/benchmark/amazon_web_services",
        "public_text": False,
    },
    {
        "file": "pci_dss_4.0.toml",
        "data": "pci_dss_4_0.txt",
        "id": "pci-dss-4.0",
        "name": "PCI Data Security Standard",
        "version": "4.0",
        "publisher": "PCI Security Standards Council",
        "source": "https://www.pcisecuritystandards.org/document_library/",
        "public_text": False,
    },
    {
        "file": "hipaa_security.toml",
        "data": "hipaa_security.txt",
        "id": "hipaa-security",
        "name": "HIPAA Security Rule (45 CFR Part 164 Subpart C)",
        "version": "2013",
        "publisher": "U.S. Department of Health and Human Services",
        "source": "https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C",
        "public_text": True,
    },
    {
        "file": "nist_800_53_r5.toml",
        "data": "nist_800_53_r5.txt",
        "id": "nist-800-53-r5",
        "name": "NIST SP 800-53 Security and Privacy Controls",
        "version": "Revision 5",
        "publisher": "National Institute of Standards and Technology",
        "source": "https://csrc.nist.gov/pubs/sp/800/53/r5/upd1/final",
        "public_text": True,
    },
    {
        "file": "fedramp_moderate_r5.toml",
        "ids": "fedramp_moderate_r5.ids",
        "id": "fedramp-moderate-r5",
        "name": "FedRAMP Moderate Baseline",
        "version": "Rev. 5",
        "publisher": "FedRAMP Program Management Office (GSA)",
        "source": "https://www.fedramp.gov/documents-templates/",
        "public_text": True,
    },
    {
        "file": "nist_800_171_r2.toml",
        "data": "nist_800_171_r2.txt",
        "id": "nist-800-171-r2",
        "name": "NIST SP 800-171 Protecting CUI in Nonfederal Systems",
        "version": "Revision 2",
        "publisher": "National Institute of Standards and Technology",
        "source": "https://csrc.nist.gov/pubs/sp/800/171/r2/upd1/final",
        "public_text": True,
    },
    {
        "file": "soc2_2017.toml",
        "data": "soc2_2017.txt",
        "id": "soc2-2017",
        "name": "SOC 2 Trust Services Criteria",
        "version": "2017 (revised points of focus 2022)",
        "publisher": "AICPA",
        "source": "https://www.aicpa-cima.com/resources/download/2017-trust-services-criteria-with-revised-points-of-focus-2022",
        "public_text": False,
    },
    {
        "file": "iso27001_2022.toml",
        "data": "iso27001_2022.txt",
        "id": "iso27001-2022",
        "name": "ISO/IEC 27001 Annex A",
        "version": "2022",
        "publisher": "ISO/IEC",
        "source": "https://www.iso.org/standard/27001",
        "public_text": False,
    },
    {
        "file": "aws_fsbp.toml",
        "data": "aws_fsbp.txt",
        "id": "aws-fsbp",
        "name": "AWS Foundational Security Best Practices",
        "version": "1.0.0",
        "publisher": "Amazon Web Services",
        "source": "https://docs.aws.amazon.com/securityhub/latest/userguide/fsbp-standard.html",
        "public_text": False,
    },
]


def parse(path: Path) -> list[dict]:
    reqs: list[dict] = []
    section = None
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        if line.startswith("## "):
            section = line[3:].strip()
            continue
        parts = [p.strip() for p in line.split("|")]
        if len(parts) not in (2, 3) or not all(parts):
            raise SystemExit(f"{path.name}:{n}: expected id|title[|description]")
        req = {"id": parts[0], "title": parts[1], "section": section}
        if len(parts) == 3:
            req["description"] = parts[2]
        reqs.append(req)
    return reqs


def fedramp(ids_file: Path) -> list[dict]:
    nist = {r["id"]: r for r in parse(DATA / "nist_800_53_r5.txt")}
    out = []
    for rid in ids_file.read_text(encoding="utf-8").split():
        if rid not in nist:
            raise SystemExit(f"{ids_file.name}: {rid} is not in the NIST 800-53 file")
        out.append(dict(nist[rid]))
    return out


def q(s: str) -> str:
    return json.dumps(s, ensure_ascii=False)


def render(fw: dict, reqs: list[dict], mapping: dict[str, list[str]]) -> str:
    known = {r["id"] for r in reqs}
    for rid in mapping:
        if rid not in known:
            raise SystemExit(f"{fw['id']}: mapping names unknown requirement {rid}")
    lines = [
        "# Generated by tools/gen_frameworks.py from tools/frameworks_data/: edit there.",
        f"id = {q(fw['id'])}",
        f"name = {q(fw['name'])}",
        f"version = {q(fw['version'])}",
        f"publisher = {q(fw['publisher'])}",
        f"source = {q(fw['source'])}",
        f"public_text = {'true' if fw['public_text'] else 'false'}",
    ]
    seen = set()
    for r in reqs:
        if r["id"] in seen:
            raise SystemExit(f"{fw['id']}: duplicate requirement {r['id']}")
        seen.add(r["id"])
        checks = sorted(dict.fromkeys(mapping.get(r["id"], [])))
        lines.append("")
        lines.append("[[requirements]]")
        lines.append(f"id = {q(r['id'])}")
        lines.append(f"title = {q(r['title'])}")
        if "description" in r:
            if not fw["public_text"]:
                raise SystemExit(f"{fw['id']} {r['id']}: description on a non-public text")
            lines.append(f"description = {q(r['description'])}")
        if r.get("section"):
            lines.append(f"section = {q(r['section'])}")
        if checks:
            lines.append("checks = [")
            lines.extend(f"  {q(c)}," for c in checks)
            lines.append("]")
            lines.append('assessment = "automated"')
        else:
            lines.append('assessment = "manual"')
    return "\n".join(lines) + "\n"


def build() -> dict[str, tuple[str, int, int]]:
    out = {}
    all_maps = mappings.build()
    for fw in FRAMEWORKS:
        if "ids" in fw:
            reqs = fedramp(DATA / fw["ids"])
        else:
            reqs = parse(DATA / fw["data"])
        mapping = all_maps.get(fw["id"], {})
        if "ids" in fw:
            # Derived from the NIST 800-53 mapping: keep the baseline's controls.
            ids = {r["id"] for r in reqs}
            mapping = {k: v for k, v in mapping.items() if k in ids}
        text = render(fw, reqs, mapping)
        auto = sum(1 for r in reqs if mapping.get(r["id"]))
        out[fw["file"]] = (text, len(reqs), auto)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--report", action="store_true", help="list unthemed or uncited checks")
    args = ap.parse_args()
    if args.report:
        mappings.report()
        return 0
    built = build()
    bad = 0
    for name, (text, total, auto) in built.items():
        path = OUT / name
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                print(f"{path} is out of date", file=sys.stderr)
                bad += 1
        else:
            path.write_text(text, encoding="utf-8")
        print(f"{name}: {total} requirements, {auto} automated")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
