#!/usr/bin/env python3
"""List the reserve's holdings through InventoryService.GetHoldings.

A starting point for finance and bank integrators (see README.md next to this file). Needs
Debian's python3-grpcio and python3-protobuf and the Python stubs generated from
proto/reserve/v1 (on PYTHONPATH, or named with --gen-dir / RESERVE_PY_GEN).

Exit status: 0 on success, 1 when the call fails (the status code and message are printed to
stderr), 2 on bad usage.
"""

import argparse
import datetime
import json
import os
import sys

GROUP_KEYS = {  # command-line name -> (HoldingsGroupKey name, HoldingRow field)
    "metal": ("HOLDINGS_GROUP_KEY_METAL", "metal"),
    "depot": ("HOLDINGS_GROUP_KEY_DEPOT", "depot_id"),
    "province": ("HOLDINGS_GROUP_KEY_PROVINCE", "province"),
    "class": ("HOLDINGS_GROUP_KEY_RESERVE_CLASS", "reserve_class"),
    "owner": ("HOLDINGS_GROUP_KEY_OWNER", "owner"),
}
GRAMS_PER_TONNE = 1_000_000
RPC_TIMEOUT_S = 30  # one query; generous for a loaded server


def parse_args(argv):
    p = argparse.ArgumentParser(description="List holdings of the strategic metal reserve.")
    p.add_argument("--address", default="127.0.0.1:50051", help="host:port of reserved")
    p.add_argument("--token-file", help="file holding a bearer token (first line)")
    p.add_argument("--group-by", default="metal",
                   help="comma list of " + ",".join(GROUP_KEYS) + " (metal is always a key)")
    p.add_argument("--as-of", help="business date YYYY-MM-DD (default: now)")
    p.add_argument("--metal", default="", help="only this metal code, e.g. CU")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.add_argument("--ca", help="PEM CA certificate: use TLS instead of plaintext")
    p.add_argument("--cert", help="PEM client certificate (mutual TLS, with --key)")
    p.add_argument("--key", help="PEM client private key (mutual TLS, with --cert)")
    p.add_argument("--gen-dir", default=os.environ.get("RESERVE_PY_GEN"),
                   help="directory of the generated reserve/v1/*_pb2.py stubs")
    args = p.parse_args(argv)
    args.group_by = [k.strip() for k in args.group_by.split(",") if k.strip()]
    for key in args.group_by:
        if key not in GROUP_KEYS:
            p.error(f"--group-by: unknown key {key!r} (use {','.join(GROUP_KEYS)})")
    if "metal" not in args.group_by:
        args.group_by.insert(0, "metal")
    if args.as_of:
        try:
            args.as_of = datetime.date.fromisoformat(args.as_of)
        except ValueError:
            p.error(f"--as-of: {args.as_of!r} is not a date YYYY-MM-DD")
    if bool(args.cert) != bool(args.key):
        p.error("--cert and --key go together")
    return args


def read_file(path):
    with open(path, "rb") as f:
        return f.read()


def make_channel(grpc, args):
    if not args.ca:
        return grpc.insecure_channel(args.address)
    creds = grpc.ssl_channel_credentials(
        root_certificates=read_file(args.ca),
        private_key=read_file(args.key) if args.key else None,
        certificate_chain=read_file(args.cert) if args.cert else None)
    return grpc.secure_channel(args.address, creds)


def format_tonnes(mass_g):
    """Exact grams as tonnes with six decimals (integer arithmetic, no rounding)."""
    sign = "-" if mass_g < 0 else ""
    whole, frac = divmod(abs(mass_g), GRAMS_PER_TONNE)
    return f"{sign}{whole:,}.{frac:06d}"


def rows_as_dicts(response, group_by, inventory_pb2):
    out = []
    for row in response.rows:
        d = {}
        for key in group_by:
            field = GROUP_KEYS[key][1]
            value = getattr(row, field)
            if field == "reserve_class":
                value = inventory_pb2.ReserveClass.Name(value).removeprefix("RESERVE_CLASS_").lower()
            d[key] = value
        d["mass_g"] = row.mass_g
        out.append(d)
    return out


def print_table(rows, group_by, as_of_seq):
    header = group_by + ["mass_g", "mass_t"]
    lines = [[str(r[k]) for k in group_by] + [f"{r['mass_g']:,}", format_tonnes(r["mass_g"])]
             for r in rows]
    total = sum(r["mass_g"] for r in rows)
    lines.append(["TOTAL"] + [""] * (len(group_by) - 1) + [f"{total:,}", format_tonnes(total)])
    widths = [max(len(h), *(len(l[i]) for l in lines)) for i, h in enumerate(header)]
    numeric = len(group_by)  # the mass columns are right-aligned
    def fmt(cells):
        return "  ".join(c.rjust(w) if i >= numeric else c.ljust(w)
                         for i, (c, w) in enumerate(zip(cells, widths))).rstrip()
    print(fmt(header))
    print(fmt(["-" * w for w in widths]))
    for l in lines[:-1]:
        print(fmt(l))
    print(fmt(["-" * w for w in widths]))
    print(fmt(lines[-1]))
    print(f"(as of ledger sequence {as_of_seq})")


def describe_error(err, error_pb2):
    """'CODE: message [reason=..., field=...]' from a grpc.RpcError."""
    text = f"{err.code().name}: {err.details()}"
    for key, value in err.trailing_metadata() or ():
        if key == "grpc-status-details-bin":
            detail = error_pb2.ErrorDetail()
            try:
                detail.ParseFromString(value)
            except Exception:  # a detail we cannot read does not hide the status itself
                break
            extra = [f"{n}={v}" for n, v in (("reason", detail.reason), ("field", detail.field))
                     if v]
            if extra:
                text += " [" + ", ".join(extra) + "]"
    return text


def main(argv):
    args = parse_args(argv)
    if args.gen_dir:
        sys.path.insert(0, args.gen_dir)
    try:
        import grpc
        from reserve.v1 import error_pb2, inventory_pb2, inventory_pb2_grpc, ledger_pb2
    except ImportError as e:
        print(f"error: {e}; generate the stubs first (see clients/python/README.md) and put "
              "them on PYTHONPATH or pass --gen-dir", file=sys.stderr)
        return 1

    metadata = []
    if args.token_file:
        try:
            token = read_file(args.token_file).decode().strip().splitlines()[0].strip()
        except (OSError, IndexError, UnicodeDecodeError) as e:
            print(f"error: --token-file {args.token_file}: {e or 'empty'}", file=sys.stderr)
            return 1
        metadata.append(("authorization", f"Bearer {token}"))

    request = inventory_pb2.GetHoldingsRequest(
        group_by=[inventory_pb2.HoldingsGroupKey.Value(GROUP_KEYS[k][0]) for k in args.group_by],
        metal=args.metal)
    if args.as_of:
        request.as_of_date.CopyFrom(
            ledger_pb2.Date(year=args.as_of.year, month=args.as_of.month, day=args.as_of.day))

    try:
        with make_channel(grpc, args) as channel:
            stub = inventory_pb2_grpc.InventoryServiceStub(channel)
            response = stub.GetHoldings(request, metadata=metadata, timeout=RPC_TIMEOUT_S)
    except grpc.RpcError as e:
        print(f"error: GetHoldings: {describe_error(e, error_pb2)}", file=sys.stderr)
        return 1
    except OSError as e:  # unreadable certificate files
        print(f"error: {e}", file=sys.stderr)
        return 1

    rows = rows_as_dicts(response, args.group_by, inventory_pb2)
    if args.json:
        json.dump({"as_of_seq": response.as_of_seq, "rows": rows}, sys.stdout, indent=2)
        print()
    else:
        print_table(rows, args.group_by, response.as_of_seq)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
