#!/usr/bin/env python3
"""End-to-end test of clients/python/holdings.py against a real `reserved`.

Starts `reserved serve` on 127.0.0.1:0 (port from --port-file) over a temp data dir with its
own token table, loads depots and lots through InventoryService with the generated stubs,
runs holdings.py as a subprocess and checks its numbers exactly; a bad token must give a clean
UNAUTHENTICATED line and exit 1. No timing assertions: waits are bounded but generous.

Usage (ctest passes these): holdings_test.py --reserved BIN --holdings SCRIPT --gen-dir DIR
"""

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import unittest

ARGS = None  # set in __main__
START_TIMEOUT_S = 60  # the machine may be loaded; readiness is polled, never assumed
RPC_TIMEOUT_S = 60
TONNE_G = 1_000_000
ADMIN_TOKEN = "tok-py-admin-0123456789"
FINANCE_TOKEN = "tok-py-finance-0123456789"


class ReservedServer:
    """One `reserved serve` child with a temp data dir; stop() kills and removes it."""

    def __init__(self, binary):
        self.dir = tempfile.mkdtemp(prefix="reserve-pytest-")
        tokens = os.path.join(self.dir, "tokens")
        with open(tokens, "w") as f:
            f.write(f"{ADMIN_TOKEN} py-admin admin\n{FINANCE_TOKEN} py-finance finance\n")
        port_file = os.path.join(self.dir, "port")
        self.log = open(os.path.join(self.dir, "reserved.log"), "wb")
        self.proc = subprocess.Popen(
            [binary, "serve", "--listen=127.0.0.1:0", f"--port-file={port_file}",
             f"--data-dir={os.path.join(self.dir, 'data')}", f"--tokens-file={tokens}",
             "--metrics-listen=off", "--services=all", "--log-format=text"],
            stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + START_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"reserved exited with {self.proc.returncode}:\n{self.tail()}")
            try:
                with open(port_file) as f:
                    text = f.read()
                if text.endswith("\n"):
                    self.address = f"127.0.0.1:{int(text)}"
                    break
            except FileNotFoundError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"reserved wrote no port file in {START_TIMEOUT_S}s\n{self.tail()}")
            time.sleep(0.05)

    def tail(self):
        self.log.flush()
        with open(self.log.name, "rb") as f:
            return f.read()[-4000:].decode(errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        if not os.environ.get("RESERVE_KEEP_TMP"):
            shutil.rmtree(self.dir, ignore_errors=True)


def lot(pb, lot_id, metal, grade, depot, tonnes, owner="state", cls="RESERVE_CLASS_CENTRAL"):
    return pb.Lot(lot_id=lot_id, metal=metal, grade=grade, brand="Guixi", form="cathode",
                  pieces=10, net_mass_g=tonnes * TONNE_G, gross_mass_g=tonnes * TONNE_G + 500,
                  depot_id=depot, location="hall 1", year_produced=2020, year_stored=2021,
                  cost_minor=tonnes * 6_000_000, currency="CNY",
                  reserve_class=pb.ReserveClass.Value(cls), owner=owner)


class HoldingsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        sys.path.insert(0, ARGS.gen_dir)
        import grpc
        from reserve.v1 import inventory_pb2 as pb, inventory_pb2_grpc, ledger_pb2
        cls.server = ReservedServer(ARGS.reserved)
        try:
            cls.load(grpc, pb, inventory_pb2_grpc, ledger_pb2)
        except BaseException:
            print(cls.server.tail(), file=sys.stderr)
            cls.server.stop()
            raise

    @classmethod
    def load(cls, grpc, pb, pb_grpc, ledger_pb2):
        channel = grpc.insecure_channel(cls.server.address)
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
        stub = pb_grpc.InventoryServiceStub(channel)
        md = [("authorization", f"Bearer {ADMIN_TOKEN}")]
        for depot_id, province in (("JS-01", "Jiangsu"), ("GD-01", "Guangdong"),
                                   ("GD-02", "Guangdong")):
            stub.CreateDepot(pb.CreateDepotRequest(
                request_id=f"depot-{depot_id}",
                depot=pb.Depot(depot_id=depot_id, name=f"Depot {depot_id}", province=province,
                               operator_name="CNRR", kind=pb.DEPOT_KIND_STATE,
                               capacity_g={"CU": 10_000 * TONNE_G, "AL": 10_000 * TONNE_G})),
                metadata=md, timeout=RPC_TIMEOUT_S)
        early = ledger_pb2.Date(year=2024, month=1, day=10)
        late = ledger_pb2.Date(year=2024, month=6, day=1)
        batches = [
            ("acq-1", early, [lot(pb, "CU-1", "CU", "Cu-CATH-1", "JS-01", 25),
                              lot(pb, "CU-2", "CU", "Cu-CATH-1", "JS-01", 50),
                              lot(pb, "CU-3", "CU", "Cu-CATH-1", "GD-01", 100),
                              lot(pb, "AL-1", "AL", "Al99.70", "GD-02", 250)]),
            ("acq-2", late, [lot(pb, "CU-4", "CU", "Cu-CATH-1", "GD-02", 30),
                             lot(pb, "AL-2", "AL", "Al99.70", "JS-01", 40,
                                 owner="ent-7", cls="RESERVE_CLASS_COMMERCIAL")]),
        ]
        for request_id, date, lots in batches:
            stub.AcquireLots(pb.AcquireLotsRequest(request_id=request_id, business_date=date,
                                                   lots=lots),
                             metadata=md, timeout=RPC_TIMEOUT_S)
        channel.close()

    @classmethod
    def tearDownClass(cls):
        cls.server.stop()

    def run_holdings(self, *extra, token=FINANCE_TOKEN):
        token_file = os.path.join(self.server.dir, "client-token")
        with open(token_file, "w") as f:
            f.write(token + "\n")
        return subprocess.run(
            [sys.executable, ARGS.holdings, "--address", self.server.address,
             "--token-file", token_file, "--gen-dir", ARGS.gen_dir, *extra],
            capture_output=True, text=True, timeout=RPC_TIMEOUT_S * 2)

    def json_rows(self, *extra):
        r = self.run_holdings("--json", *extra)
        self.assertEqual(r.returncode, 0, r.stderr)
        return json.loads(r.stdout)["rows"]

    def test_by_metal_and_province_json(self):
        rows = self.json_rows("--group-by", "metal,province")
        got = sorted((r["metal"], r["province"], r["mass_g"]) for r in rows)
        self.assertEqual(got, [("AL", "Guangdong", 250 * TONNE_G),
                               ("AL", "Jiangsu", 40 * TONNE_G),
                               ("CU", "Guangdong", 130 * TONNE_G),
                               ("CU", "Jiangsu", 75 * TONNE_G)])

    def test_by_metal_table(self):
        r = self.run_holdings("--group-by", "metal")
        self.assertEqual(r.returncode, 0, r.stderr)
        lines = [l.split() for l in r.stdout.splitlines()]
        self.assertIn(["metal", "mass_g", "mass_t"], lines)
        self.assertIn(["AL", "290,000,000", "290.000000"], lines)
        self.assertIn(["CU", "205,000,000", "205.000000"], lines)
        self.assertIn(["TOTAL", "495,000,000", "495.000000"], lines)

    def test_by_depot_class_owner(self):
        rows = self.json_rows("--group-by", "depot,class,owner")
        got = sorted((r["metal"], r["depot"], r["class"], r["owner"], r["mass_g"]) for r in rows)
        self.assertEqual(got, [("AL", "GD-02", "central", "state", 250 * TONNE_G),
                               ("AL", "JS-01", "commercial", "ent-7", 40 * TONNE_G),
                               ("CU", "GD-01", "central", "state", 100 * TONNE_G),
                               ("CU", "GD-02", "central", "state", 30 * TONNE_G),
                               ("CU", "JS-01", "central", "state", 75 * TONNE_G)])

    def test_as_of_past_date_excludes_later_acquisitions(self):
        rows = self.json_rows("--group-by", "metal", "--as-of", "2024-03-01")
        self.assertEqual(sorted((r["metal"], r["mass_g"]) for r in rows),
                         [("AL", 250 * TONNE_G), ("CU", 175 * TONNE_G)])

    def test_metal_filter(self):
        rows = self.json_rows("--metal", "CU")
        self.assertEqual([(r["metal"], r["mass_g"]) for r in rows], [("CU", 205 * TONNE_G)])

    def test_bad_token_is_unauthenticated_exit_1(self):
        r = self.run_holdings(token="not-a-token")
        self.assertEqual(r.returncode, 1)
        self.assertEqual(r.stdout, "")
        self.assertRegex(r.stderr, r"^error: GetHoldings: UNAUTHENTICATED: ")
        self.assertNotIn("Traceback", r.stderr)

    def test_bad_group_by_is_usage_error_exit_2(self):
        r = self.run_holdings("--group-by", "colour")
        self.assertEqual(r.returncode, 2)
        self.assertIn("unknown key 'colour'", r.stderr)

    def test_server_down_is_unavailable_exit_1(self):
        r = subprocess.run([sys.executable, ARGS.holdings, "--address", "127.0.0.1:1",
                            "--gen-dir", ARGS.gen_dir], capture_output=True, text=True,
                           timeout=RPC_TIMEOUT_S * 2)
        self.assertEqual(r.returncode, 1)
        self.assertRegex(r.stderr, r"^error: GetHoldings: UNAVAILABLE: ")


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--reserved", required=True)
    parser.add_argument("--holdings", required=True)
    parser.add_argument("--gen-dir", required=True)
    ARGS, rest = parser.parse_known_args()
    unittest.main(argv=[sys.argv[0]] + rest, verbosity=2)
