#!/usr/bin/env python3
"""End-to-end test of clients/python/bank.py (a bank's integration) against a real `reserved`.

Starts `reserved serve` on a free loopback port over a temp data dir with its own tokens, sets
up a pilot enterprise, lots and a price with the generated stubs (as the administrator), then
runs bank.py as the banks would: verify, pledge (and a retry, and a rival bank refused), and
a following event watcher that must ride through a server restart and deliver every event
exactly once, resuming from its cursor file. No timing assertions: waits are bounded but
generous.

Usage (ctest passes these): bank_test.py --reserved BIN --bank SCRIPT --gen-dir DIR
"""

import argparse
import json
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import unittest

ARGS = None  # set in __main__
START_TIMEOUT_S = 60
RPC_TIMEOUT_S = 60
EVENT_TIMEOUT_S = 60
TONNE_G = 1_000_000
ADMIN = "tok-bankpy-admin-0123456789"
ICBC = "tok-bankpy-icbc-0123456789"
BOC = "tok-bankpy-boc-0123456789"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ReservedServer:
    """`reserved serve` on a fixed port over `directory`; start() again after stop() restarts
    it on the same port and store."""

    def __init__(self, binary, directory, port):
        self.binary, self.dir, self.port = binary, directory, port
        self.address = f"127.0.0.1:{port}"
        self.proc = None
        self.starts = 0

    def start(self):
        self.starts += 1
        port_file = os.path.join(self.dir, f"port.{self.starts}")
        self.log = open(os.path.join(self.dir, f"reserved.{self.starts}.log"), "wb")
        self.proc = subprocess.Popen(
            [self.binary, "serve", f"--listen={self.address}", f"--port-file={port_file}",
             f"--data-dir={os.path.join(self.dir, 'data')}",
             f"--tokens-file={os.path.join(self.dir, 'tokens')}", "--metrics-listen=off",
             "--log-format=text"], stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while not os.path.exists(port_file):
            if self.proc.poll() is not None:
                raise RuntimeError(f"reserved exited with {self.proc.returncode}:\n{self.tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"reserved wrote no port file\n{self.tail()}")
            time.sleep(0.05)

    def tail(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read()[-4000:].decode(errors="replace")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


class BankTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, ARGS.gen_dir)
        cls.dir = tempfile.mkdtemp(prefix="reserve-bankpy-")
        with open(os.path.join(cls.dir, "tokens"), "w") as f:
            f.write(f"{ADMIN} alice admin\n{ICBC} icbc-officer bank:icbc\n"
                    f"{BOC} boc-officer bank:boc\n")
        for name, token in (("icbc", ICBC), ("boc", BOC)):
            with open(os.path.join(cls.dir, f"{name}.token"), "w") as f:
                f.write(token + "\n")
        cls.server = ReservedServer(ARGS.reserved, cls.dir, free_port())
        cls.server.start()
        try:
            cls.setup_world()
        except BaseException:
            print(cls.server.tail(), file=sys.stderr)
            cls.server.stop()
            raise

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()
        if not os.environ.get("RESERVE_KEEP_TMP"):
            shutil.rmtree(cls.dir, ignore_errors=True)

    @classmethod
    def admin_stubs(cls):
        import grpc
        from reserve.v1 import commercial_pb2_grpc, inventory_pb2_grpc
        channel = grpc.insecure_channel(cls.server.address)
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        return (channel, inventory_pb2_grpc.InventoryServiceStub(channel),
                commercial_pb2_grpc.CommercialReserveServiceStub(channel))

    @classmethod
    def setup_world(cls):
        from reserve.v1 import commercial_pb2 as com, inventory_pb2 as inv, ledger_pb2
        channel, inventory, commercial = cls.admin_stubs()
        md = [("authorization", f"Bearer {ADMIN}")]
        inventory.CreateDepot(inv.CreateDepotRequest(
            request_id="depot", depot=inv.Depot(
                depot_id="LZ-01", name="Lanzhou bonded warehouse", province="Gansu",
                operator_name="Gansu Logistics", kind=inv.DEPOT_KIND_COMMERCIAL,
                approved_for_pledge=True, capacity_g={"CU": 10_000 * TONNE_G})),
            metadata=md, timeout=RPC_TIMEOUT_S)
        commercial.EnrolEnterprise(com.EnrolEnterpriseRequest(
            request_id="enrol", enterprise=com.Enterprise(
                enterprise_id="jinchuan", name="Jinchuan Group", province="Gansu",
                metals=["CU"], depot_ids=["LZ-01"])), metadata=md, timeout=RPC_TIMEOUT_S)
        lots = [inv.Lot(lot_id=f"JC-{i}", metal="CU", grade="Cu-CATH-1", brand="Jinchuan",
                        form="cathode", pieces=40, net_mass_g=100 * TONNE_G,
                        gross_mass_g=100 * TONNE_G, depot_id="LZ-01", year_produced=2024,
                        year_stored=2024, cost_minor=100 * 6_800_000, currency="CNY",
                        reserve_class=inv.RESERVE_CLASS_COMMERCIAL, owner="jinchuan")
                for i in (1, 2, 3)]
        inventory.AcquireLots(inv.AcquireLotsRequest(
            request_id="lots", business_date=ledger_pb2.Date(year=2025, month=1, day=3),
            lots=lots), metadata=md, timeout=RPC_TIMEOUT_S)
        channel.close()
        cls.price("price-1", 3, 7_000_000)

    @classmethod
    def price(cls, request_id, day, price_minor_per_t):
        from reserve.v1 import inventory_pb2 as inv, ledger_pb2
        channel, inventory, _ = cls.admin_stubs()
        inventory.AddPriceMarks(inv.AddPriceMarksRequest(request_id=request_id, marks=[
            inv.PriceMark(metal="CU", date=ledger_pb2.Date(year=2025, month=1, day=day),
                          price_minor_per_t=price_minor_per_t, currency="CNY",
                          source="SHFE settlement")]),
            metadata=[("authorization", f"Bearer {ADMIN}")], timeout=RPC_TIMEOUT_S)
        channel.close()

    def bank(self, *args, bank="icbc"):
        return subprocess.run(
            [sys.executable, ARGS.bank, "--address", self.server.address, "--token-file",
             os.path.join(self.dir, f"{bank}.token"), "--gen-dir", ARGS.gen_dir, *args],
            capture_output=True, text=True, timeout=RPC_TIMEOUT_S * 2)

    def pledge(self, lot, request_id, bank="icbc", principal="3000000.00"):
        args = ["pledge", "--borrower", "jinchuan", "--lot", lot, "--principal", principal,
                "--maturity", "2026-01-05", "--max-ltv-bp", "7000", "--margin-call-ltv-bp",
                "8500", "--rate-bp", "450", "--request-id", request_id, "--date", "2025-01-05"]
        deadline = time.monotonic() + EVENT_TIMEOUT_S
        while True:  # the follower marks the first price a moment after it is added
            r = self.bank(*args, bank=bank)
            if r.returncode == 0 or "NO_PRICE_MARK" not in r.stderr or time.monotonic() > deadline:
                return r
            time.sleep(0.1)

    def test_1_verify(self):
        r = self.bank("verify", "JC-1", "NOPE", "--borrower", "jinchuan")
        self.assertEqual(r.returncode, 0, r.stderr)
        lots = [json.loads(line) for line in r.stdout.splitlines()]
        self.assertEqual(lots[0]["pledgeability"], "free")
        self.assertEqual(lots[0]["net_mass_g"], 100 * TONNE_G)
        self.assertTrue(lots[0]["depot_approved_for_pledge"])
        self.assertEqual(lots[1]["pledgeability"], "unknown_lot")

    def test_2_pledge_retry_and_rival(self):
        r = self.pledge("JC-1", "icbc-loan-1")
        self.assertEqual(r.returncode, 0, r.stderr)
        first = json.loads(r.stdout)
        self.assertTrue(first["pledge_id"].startswith("icbc:"))
        self.assertEqual(first["ltv_bp"], 4286)  # 3,000,000 against 100 t at 70,000
        self.assertFalse(first["replayed"])
        again = json.loads(self.pledge("JC-1", "icbc-loan-1").stdout)
        self.assertTrue(again["replayed"])
        self.assertEqual(again["seq"], first["seq"])
        rival = self.pledge("JC-1", "boc-loan-1", bank="boc")
        self.assertEqual(rival.returncode, 1)
        self.assertRegex(rival.stderr, r"^error: pledge: FAILED_PRECONDITION: .*reason=LOT_PLEDGED")
        self.assertNotIn("icbc", rival.stderr)
        seen_by_rival = json.loads(self.bank("verify", "JC-1", bank="boc").stdout)
        self.assertEqual(seen_by_rival["pledgeability"], "encumbered")

    def test_3_watch_rides_through_a_restart(self):
        cursor_file = os.path.join(self.dir, "icbc.cursor")
        watcher = subprocess.Popen(
            [sys.executable, ARGS.bank, "--address", self.server.address, "--token-file",
             os.path.join(self.dir, "icbc.token"), "--gen-dir", ARGS.gen_dir, "watch",
             "--follow", "--cursor-file", cursor_file],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        lines = queue.Queue()
        threading.Thread(target=lambda: [lines.put(l) for l in watcher.stdout], daemon=True).start()

        def next_event():
            return json.loads(lines.get(timeout=EVENT_TIMEOUT_S))

        try:
            created = next_event()
            self.assertEqual(created["kind"], "created")
            # The server restarts under the watcher; meanwhile and after, more events happen.
            self.server.stop()
            self.server.start()
            self.price("price-2", 6, 4_000_000)  # JC-1's loan: 3,000,000 / 4,000,000 = 75%
            self.price("price-3", 7, 3_500_000)  # 85.71%: the margin call
            second = self.pledge("JC-2", "icbc-loan-2", principal="1000000.00")
            self.assertEqual(second.returncode, 0, second.stderr)
            margin_call, created_2 = next_event(), next_event()
        finally:
            watcher.terminate()
            watcher.wait(timeout=30)
            log = watcher.stderr.read()
            watcher.stderr.close()
            watcher.stdout.close()
        self.assertEqual(margin_call["kind"], "margin_call")
        self.assertEqual(margin_call["pledge_id"], created["pledge_id"])
        self.assertEqual(margin_call["ltv_bp"], 8571)
        self.assertEqual(created_2["kind"], "created")
        self.assertIn("resuming after", log)
        cursors = [tuple(map(int, e["cursor"].split("."))) for e in (created, margin_call,
                                                                        created_2)]
        self.assertEqual(cursors, sorted(set(cursors)))  # increasing: nothing twice
        with open(cursor_file) as f:
            self.assertEqual(f.read().strip(), created_2["cursor"])
        # A later run resumes after the cursor: nothing new, nothing repeated.
        r = self.bank("watch", "--cursor-file", cursor_file)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "")
        everything = self.bank("watch")
        self.assertEqual([json.loads(l)["cursor"] for l in everything.stdout.splitlines()],
                         [e["cursor"] for e in (created, margin_call, created_2)])

    def test_4_bad_usage_and_bad_token(self):
        r = self.bank("pledge", "--borrower", "jinchuan", "--lot", "JC-3", "--principal", "1.001",
                      "--maturity", "2026-01-05", "--max-ltv-bp", "1", "--margin-call-ltv-bp", "2")
        self.assertEqual(r.returncode, 2)
        self.assertIn("at most 2 decimals", r.stderr)
        self.assertEqual(self.bank("watch", "--after", "seven").returncode, 2)
        with open(os.path.join(self.dir, "bad.token"), "w") as f:
            f.write("not-a-token\n")
        r = self.bank("verify", "JC-3", bank="bad")
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^error: verify: UNAUTHENTICATED: ")
        self.assertNotIn("Traceback", r.stderr)


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reserved", required=True)
    parser.add_argument("--bank", required=True)
    parser.add_argument("--gen-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
