#!/usr/bin/env python3
"""A bank's integration with the reserve's FinancingService: verify, pledge, watch events.

A starting point for a bank's systems (see README.md next to this file). Needs Debian's
python3-grpcio and python3-protobuf and the Python stubs generated from proto/reserve/v1 (on
PYTHONPATH, or named with --gen-dir / RESERVE_PY_GEN). The token is a bank's (role
bank:<id>); the server scopes everything to that bank.

  bank.py verify LOT [LOT...] [--borrower ENT]
      Does each lot exist, what is it, and is it free to pledge? The answer never says who
      else lends against a lot.
  bank.py pledge --borrower ENT --lot LOT [--lot LOT...] --principal 1000000.00
                 --maturity YYYY-MM-DD --max-ltv-bp 7000 --margin-call-ltv-bp 8500
                 [--rate-bp 450] [--currency CNY] [--request-id ID] [--date YYYY-MM-DD]
      Registers the bank's lien. Retrying with the same --request-id is safe: the server
      returns the first result. A lot pledged elsewhere is refused (LOT_PLEDGED).
  bank.py watch [--cursor-file F] [--after SEQ.INDEX] [--follow] [--max N]
      The bank's events (created, margin call, call-up, released, enforced), one JSON object
      per line. With --cursor-file the cursor (seq, index) of every event handled is saved
      there, and the next run resumes after it; with --follow it waits for new events and, when
      the connection drops (a server restart), reconnects and resumes from the cursor, so no
      event is lost or handled twice (a SIGKILL between printing an event and saving its
      cursor hands that one event over again: handle events idempotently by cursor).

Exit status: 0 on success, 1 when the call fails (status code, message, reason and field on
stderr), 2 on bad usage. The connection code is reserve_client.py's, next to this file.
"""

import argparse
import decimal
import json
import os
import signal
import sys
import time

from reserve_client import (RPC_TIMEOUT_S, add_connection_args, check_connection_args,
                            connect_prerequisites, date_text, describe_error, make_channel,
                            parse_date_arg, proto_date)

RECONNECT_BACKOFF_S = (0.2, 5)  # first and longest wait between reconnects (--follow)
MAX_RECONNECTS = 1000           # a follower gives up after this many failed reconnects


class StopSignals:
    """SIGTERM and SIGINT stop the program (KeyboardInterrupt in the main thread), except
    inside `held()`, where they are noted and acted on when the block ends. (A signal mask
    would not do: gRPC's own threads would take the signal and end the process.)"""

    def __init__(self):
        self.holding = False
        self.pending = False

    def install(self):
        for s in (signal.SIGTERM, signal.SIGINT):
            signal.signal(s, self._on_signal)

    def _on_signal(self, signum, frame):
        if self.holding:
            self.pending = True
        else:
            raise KeyboardInterrupt

    def held(self):
        outer = self

        class Block:
            def __enter__(self):
                outer.holding = True

            def __exit__(self, *exc):
                outer.holding = False
                if outer.pending:
                    raise KeyboardInterrupt
                return False
        return Block()


STOP = StopSignals()


def parse_args(argv):
    p = argparse.ArgumentParser(description="A bank's FinancingService client.")
    add_connection_args(p, "file holding the bank's bearer token", token_required=True)
    sub = p.add_subparsers(dest="command", required=True)

    v = sub.add_parser("verify", help="check lots before lending against them")
    v.add_argument("lots", nargs="+")
    v.add_argument("--borrower", default="", help="also check the lots are this enterprise's")

    g = sub.add_parser("pledge", help="register a pledge on lots for a loan")
    g.add_argument("--borrower", required=True)
    g.add_argument("--lot", action="append", required=True, dest="lots")
    g.add_argument("--principal", required=True, help="loan amount, major units (2 decimals)")
    g.add_argument("--currency", default="CNY")
    g.add_argument("--rate-bp", type=int, default=0, help="interest rate, bp a year")
    g.add_argument("--maturity", required=True, help="YYYY-MM-DD")
    g.add_argument("--max-ltv-bp", type=int, required=True)
    g.add_argument("--margin-call-ltv-bp", type=int, required=True)
    g.add_argument("--loan-reference", default="")
    g.add_argument("--request-id", help="idempotency key (default: a random one)")
    g.add_argument("--date", help="business date YYYY-MM-DD (default: today on the server)")

    w = sub.add_parser("watch", help="the bank's events, resumable")
    w.add_argument("--cursor-file", help="read the cursor from / save it to this file")
    w.add_argument("--after", help="start after this cursor SEQ.INDEX (overrides the file)")
    w.add_argument("--follow", action="store_true", help="wait for new events; reconnect")
    w.add_argument("--max", type=int, default=0, help="stop after this many events")

    args = p.parse_args(argv)
    check_connection_args(p, args)
    if args.command == "pledge":
        try:
            amount = decimal.Decimal(args.principal)
        except decimal.InvalidOperation:
            p.error(f"--principal: {args.principal!r} is not a decimal number")
        if amount != amount.quantize(decimal.Decimal("0.01")) or amount <= 0:
            p.error("--principal: a positive amount with at most 2 decimals")
        args.principal_minor = int(amount * 100)  # exact: Decimal, never float
        for name in ("maturity", "date"):
            value = getattr(args, name)
            if value:
                setattr(args, name, parse_date_arg(p, f"--{name}", value))
    if args.command == "watch" and args.after:
        args.after = parse_cursor(args.after) or p.error(f"--after: {args.after!r} is not SEQ.INDEX")
    return args


def parse_cursor(text):
    parts = text.strip().split(".")
    if len(parts) != 2 or not all(x.isdigit() for x in parts):
        return None
    return int(parts[0]), int(parts[1])


def money(minor):
    sign = "-" if minor < 0 else ""
    whole, cents = divmod(abs(minor), 100)
    return f"{sign}{whole}.{cents:02d}"


def verify(stub, pb, md, args):
    response = stub.VerifyLots(
        pb.VerifyLotsRequest(lot_ids=args.lots, borrower_enterprise_id=args.borrower),
        metadata=md, timeout=RPC_TIMEOUT_S)
    for lot in response.lots:
        state = pb.Pledgeability.Name(lot.pledgeability).removeprefix("PLEDGEABILITY_").lower()
        print(json.dumps({"lot_id": lot.lot_id, "pledgeability": state, "metal": lot.metal,
                          "grade": lot.grade, "net_mass_g": lot.net_mass_g,
                          "depot_id": lot.depot_id,
                          "depot_approved_for_pledge": lot.depot_approved_for_pledge}))
    return 0


def pledge(stub, pb, ledger_pb2, md, args):
    import uuid
    request = pb.CreatePledgeRequest(
        request_id=args.request_id or str(uuid.uuid4()),
        borrower_enterprise_id=args.borrower, lot_ids=args.lots,
        principal_minor=args.principal_minor, currency=args.currency,
        interest_rate_bp=args.rate_bp,
        maturity_date=proto_date(ledger_pb2, args.maturity),
        max_ltv_bp=args.max_ltv_bp, margin_call_ltv_bp=args.margin_call_ltv_bp,
        loan_reference=args.loan_reference)
    if args.date:
        request.business_date.CopyFrom(proto_date(ledger_pb2, args.date))
    response = stub.CreatePledge(request, metadata=md, timeout=RPC_TIMEOUT_S)
    p = response.pledge
    print(json.dumps({"pledge_id": p.pledge_id, "lot_ids": list(p.lot_ids),
                      "collateral_mass_g": p.collateral_mass_g,
                      "principal": money(p.principal_minor), "currency": p.currency,
                      "ltv_bp": response.ltv_bp, "agreement_id": p.agreement_id,
                      "seq": response.commit.seq, "replayed": response.commit.replayed}))
    return 0


def load_cursor(path):
    try:
        with open(path) as f:
            return parse_cursor(f.read()) or (0, 0)
    except FileNotFoundError:
        return (0, 0)


def save_cursor(path, cursor):
    # Write then rename: a crash leaves the old cursor or the new one, never half of one.
    tmp = path + ".tmp"
    with open(tmp, "w") as f:
        f.write(f"{cursor[0]}.{cursor[1]}\n")
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def watch(grpc, stub, pb, md, args, error_pb2):
    cursor = args.after or (load_cursor(args.cursor_file) if args.cursor_file else (0, 0))
    seen = 0
    failures = 0
    while True:
        request = pb.WatchEventsRequest(after_seq=cursor[0], after_index=cursor[1],
                                        follow=args.follow,
                                        max_events=max(0, args.max - seen) if args.max else 0)
        try:
            # No deadline when following: the stream lasts until the server ends it.
            for event in stub.WatchEvents(request, metadata=md,
                                          timeout=None if args.follow else RPC_TIMEOUT_S):
                kind = pb.PledgeEventKind.Name(event.kind).removeprefix("PLEDGE_EVENT_KIND_")
                record = {"cursor": f"{event.seq}.{event.index}", "kind": kind.lower(),
                          "pledge_id": event.pledge_id,
                          "business_date": date_text(event.business_date)}
                if event.kind in (pb.PLEDGE_EVENT_KIND_MARGIN_CALL,
                                  pb.PLEDGE_EVENT_KIND_COLLATERAL_COUNTED):
                    record["ltv_bp"] = event.ltv_bp
                if event.kind == pb.PLEDGE_EVENT_KIND_COLLATERAL_COUNTED:
                    record["collateral_mass_g"] = event.pledge.collateral_mass_g
                if event.kind == pb.PLEDGE_EVENT_KIND_CALL_UP:
                    record["call_up_id"] = event.call_up_id
                # Handle the event and move the cursor with SIGTERM/SIGINT held back, so a stop
                # never falls between the two (a SIGKILL or a crash still can: the next run
                # then hands that one event over again, so handle events idempotently by
                # cursor, or keep the cursor in the same transaction as your own state).
                with STOP.held():
                    print(json.dumps(record), flush=True)
                    cursor = (event.seq, event.index)
                    if args.cursor_file:
                        save_cursor(args.cursor_file, cursor)
                seen += 1
                failures = 0
            return 0  # the server ended the stream: at the head (no --follow) or --max reached
        except grpc.RpcError as e:
            retryable = e.code() in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
            if not (args.follow and retryable) or failures >= MAX_RECONNECTS:
                raise
            failures += 1
            print(f"watch: {describe_error(e, error_pb2)}; resuming after {cursor[0]}.{cursor[1]}",
                  file=sys.stderr, flush=True)
            time.sleep(min(RECONNECT_BACKOFF_S[1], RECONNECT_BACKOFF_S[0] * 2 ** min(failures, 5)))


def main(argv):
    args = parse_args(argv)
    STOP.install()
    ready = connect_prerequisites(args, "error_pb2", "financing_pb2", "financing_pb2_grpc",
                                  "ledger_pb2")
    if ready is None:
        return 1
    grpc, (error_pb2, pb, financing_pb2_grpc, ledger_pb2), md = ready
    try:
        with make_channel(grpc, args) as channel:
            stub = financing_pb2_grpc.FinancingServiceStub(channel)
            if args.command == "verify":
                return verify(stub, pb, md, args)
            if args.command == "pledge":
                return pledge(stub, pb, ledger_pb2, md, args)
            return watch(grpc, stub, pb, md, args, error_pb2)
    except grpc.RpcError as e:
        print(f"error: {args.command}: {describe_error(e, error_pb2)}", file=sys.stderr)
        return 1
    except OSError as e:  # unreadable certificate or cursor files
        print(f"error: {e}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
