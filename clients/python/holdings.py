#!/usr/bin/env python3
"""List the reserve's holdings through InventoryService.GetHoldings.

A starting point for finance and bank integrators (see README.md next to this file). Needs
Debian's python3-grpcio and python3-protobuf and the Python stubs generated from
proto/reserve/v1 (on PYTHONPATH, or named with --gen-dir / RESERVE_PY_GEN).

Exit status: 0 on success, 1 when the call fails (the status code and message are printed to
stderr), 2 on bad usage. The connection code is reserve_client.py's, next to this file.
"""

import argparse
import json
import sys

from reserve_client import (RPC_TIMEOUT_S, add_connection_args, check_connection_args,
                            connect_prerequisites, describe_error, make_channel, parse_date_arg,
                            proto_date)

GROUP_KEYS = {  # command-line name -> (HoldingsGroupKey name, HoldingRow field)
    "metal": ("HOLDINGS_GROUP_KEY_METAL", "metal"),
    "depot": ("HOLDINGS_GROUP_KEY_DEPOT", "depot_id"),
    "province": ("HOLDINGS_GROUP_KEY_PROVINCE", "province"),
    "class": ("HOLDINGS_GROUP_KEY_RESERVE_CLASS", "reserve_class"),
    "owner": ("HOLDINGS_GROUP_KEY_OWNER", "owner"),
}
GRAMS_PER_TONNE = 1_000_000


def parse_args(argv):
    p = argparse.ArgumentParser(description="List holdings of the strategic metal reserve.")
    add_connection_args(p, "file holding a bearer token (first line)")
    p.add_argument("--group-by", default="metal",
                   help="comma list of " + ",".join(GROUP_KEYS) + " (metal is always a key)")
    p.add_argument("--as-of", help="business date YYYY-MM-DD (default: now)")
    p.add_argument("--metal", default="", help="only this metal code, e.g. CU")
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    args = p.parse_args(argv)
    args.group_by = [k.strip() for k in args.group_by.split(",") if k.strip()]
    for key in args.group_by:
        if key not in GROUP_KEYS:
            p.error(f"--group-by: unknown key {key!r} (use {','.join(GROUP_KEYS)})")
    if "metal" not in args.group_by:
        args.group_by.insert(0, "metal")
    if args.as_of:
        args.as_of = parse_date_arg(p, "--as-of", args.as_of)
    check_connection_args(p, args)
    return args


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


def main(argv):
    args = parse_args(argv)
    ready = connect_prerequisites(args, "error_pb2", "inventory_pb2", "inventory_pb2_grpc",
                                  "ledger_pb2")
    if ready is None:
        return 1
    grpc, (error_pb2, inventory_pb2, inventory_pb2_grpc, ledger_pb2), metadata = ready

    request = inventory_pb2.GetHoldingsRequest(
        group_by=[inventory_pb2.HoldingsGroupKey.Value(GROUP_KEYS[k][0]) for k in args.group_by],
        metal=args.metal)
    if args.as_of:
        request.as_of_date.CopyFrom(proto_date(ledger_pb2, args.as_of))

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
