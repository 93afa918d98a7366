// Load generator for FinancingService against a running `reserved` (issue 4's speed
// targets): pledges per second with two banks racing for overlapping lots, and VerifyLots
// latency.
//
//   financing-bench --address=127.0.0.1:50051 --admin-token-file=A --bank-a-token-file=B1
//                   --bank-b-token-file=B2 [--lots=200000] [--clients=32] [--seconds=10]
//                   [--lots-per-pledge=2] [--verify-calls=5000] [--verify-lots=1]
//
// Setup (admin token): one depot approved for pledges, one pilot enterprise, --lots lots of
// 25 t it owns (AcquireLots batches of 1,000), and a copper price mark dated --price-date
// (later than any real mark, so it becomes the marked price); then it waits until the
// server's mark-to-market follower has marked it.
//
// Race: each bank keeps --clients CreatePledge calls in flight (asynchronous client, one
// completion queue per bank thread). Bank A's k-th request pledges lots [k*n, k*n+n) and
// bank B's k-th pledges [k*n+1, k*n+n+1) (n = --lots-per-pledge), so every lot is wanted by
// both banks at about the same moment. Prints committed pledges/s (the target), attempts/s,
// refusals by reason (LOT_PLEDGED is the loser's answer), latency percentiles; then reads
// every pledge of both banks back (ListPledges) and checks that no lot went to two banks and
// that the pledges listed equal the successes counted. Exit 1 on any unexpected error or a
// broken invariant.
//
// Verify: --verify-calls sequential VerifyLots calls of --verify-lots random lots each (as
// bank A), after the race (or instead of it with --verify-only); prints p50/p99/p99.9.
//
// Request and object ids carry a per-run prefix (--run-id, default from the clock), so runs
// against one store never collide.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "reserve/v1/commercial.grpc.pb.h"
#include "reserve/v1/error.pb.h"
#include "reserve/v1/financing.grpc.pb.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "tests/bench/bench_kit.h"

namespace reserve::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace pb = ::reserve::v1;

constexpr int64_t kTonneG = 1'000'000;
constexpr int64_t kLotTonnes = 25;
constexpr int64_t kPriceMinorPerT = 6'000'000;  // 60,000 CNY/t
constexpr int kFillBatch = 1000;                // the service's limit per acquisition
constexpr int kFillInFlight = 4;
constexpr int kMaxClients = 1024;  // per bank
constexpr int kListPageSize = 1000;
constexpr int kMaxListPages = 100'000;  // bounds the read-back
constexpr auto kMarkWait = std::chrono::seconds(120);

struct Flags {
  std::string address = "127.0.0.1:50051";
  std::string admin_token_file, bank_a_token_file, bank_b_token_file;
  std::string admin_token, bank_a_token, bank_b_token;
  int64_t lots = 200'000;
  int clients = 32;
  int seconds = 10;
  int lots_per_pledge = 2;
  int verify_calls = 5000;
  int verify_lots = 1;
  std::string price_date = "2099-12-31";
  std::string run_id;
  int server_pid = 0;
  bool verify_only = false;
};

// utime + stime of process `pid` in clock ticks (0 if unreadable).
int64_t CpuTicks(int pid) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/stat"));
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  size_t close = text.rfind(')');
  if (close == std::string::npos) return 0;
  std::vector<std::string> fields = absl::StrSplit(text.substr(close + 2), ' ');
  // After the command: state is field 3 of stat(5), so utime (14) and stime (15) are at
  // positions 11 and 12 here.
  if (fields.size() < 13) return 0;
  int64_t utime = 0, stime = 0;
  if (!absl::SimpleAtoi(fields[11], &utime) || !absl::SimpleAtoi(fields[12], &stime)) return 0;
  return utime + stime;
}

std::string LotId(const Flags& f, int64_t n) { return absl::StrCat(f.run_id, "-L", n); }
std::string EnterpriseId(const Flags& f) { return absl::StrCat(f.run_id, "-E"); }
std::string DepotId(const Flags& f) { return absl::StrCat(f.run_id, "-D"); }

std::string ReasonOf(const grpc::Status& s) {
  pb::ErrorDetail detail;
  if (!s.error_details().empty() && detail.ParseFromString(s.error_details())) {
    return detail.reason();
  }
  return "";
}

[[noreturn]] void Die(const std::string& what, const grpc::Status& s) {
  std::fprintf(stderr, "financing-bench: %s: code %d (%s): %s\n", what.c_str(),
               static_cast<int>(s.error_code()), ReasonOf(s).c_str(), s.error_message().c_str());
  std::exit(1);
}

void SetDate(pb::Date* d, int y, int m, int day) {
  d->set_year(y);
  d->set_month(m);
  d->set_day(day);
}

// ---- Setup ----

void Setup(const Flags& f, const std::shared_ptr<grpc::Channel>& channel) {
  auto inventory = pb::InventoryService::NewStub(channel);
  auto commercial = pb::CommercialReserveService::NewStub(channel);
  {
    pb::CreateDepotRequest req;
    req.set_request_id(absl::StrCat(f.run_id, "-depot"));
    pb::Depot* d = req.mutable_depot();
    d->set_depot_id(DepotId(f));
    d->set_name("Bench bonded warehouse");
    d->set_province("Gansu");
    d->set_operator_name("bench");
    d->set_kind(pb::DEPOT_KIND_COMMERCIAL);
    d->set_approved_for_pledge(true);
    (*d->mutable_capacity_g())["CU"] = (f.lots + 10) * kLotTonnes * kTonneG;
    grpc::ClientContext ctx;
    Prepare(f.admin_token, ctx);
    pb::DepotResponse resp;
    if (grpc::Status s = inventory->CreateDepot(&ctx, req, &resp); !s.ok()) Die("CreateDepot", s);
  }
  {
    pb::EnrolEnterpriseRequest req;
    req.set_request_id(absl::StrCat(f.run_id, "-enrol"));
    pb::Enterprise* e = req.mutable_enterprise();
    e->set_enterprise_id(EnterpriseId(f));
    e->set_name("Bench smelter");
    e->set_province("Gansu");
    e->add_metals("CU");
    e->add_depot_ids(DepotId(f));
    grpc::ClientContext ctx;
    Prepare(f.admin_token, ctx);
    pb::EnterpriseResponse resp;
    if (grpc::Status s = commercial->EnrolEnterprise(&ctx, req, &resp); !s.ok()) {
      Die("EnrolEnterprise", s);
    }
  }
  // Lots 0..lots-1 race; lot `lots` is the probe that waits for the price to be marked.
  const int64_t total = f.lots + 1;
  const int64_t batches = (total + kFillBatch - 1) / kFillBatch;
  std::atomic<int64_t> next{0};
  const Clock::time_point begin = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kFillInFlight; ++w) {
    workers.emplace_back([&] {
      for (int64_t b = next++; b < batches; b = next++) {
        pb::AcquireLotsRequest req;
        req.set_request_id(absl::StrCat(f.run_id, "-fill-", b));
        SetDate(req.mutable_business_date(), 2024, 6, 1);
        for (int64_t n = b * kFillBatch; n < std::min<int64_t>((b + 1) * kFillBatch, total); ++n) {
          pb::Lot* lot = req.add_lots();
          lot->set_lot_id(LotId(f, n));
          lot->set_metal("CU");
          lot->set_grade("Cu-CATH-1");
          lot->set_brand("bench");
          lot->set_form("cathode");
          lot->set_pieces(10);
          lot->set_net_mass_g(kLotTonnes * kTonneG);
          lot->set_gross_mass_g(kLotTonnes * kTonneG + 1000);
          lot->set_depot_id(DepotId(f));
          lot->set_year_produced(2023);
          lot->set_year_stored(2024);
          lot->set_cost_minor(kLotTonnes * 6'000'000);
          lot->set_currency("CNY");
          lot->set_reserve_class(pb::RESERVE_CLASS_COMMERCIAL);
          lot->set_owner(EnterpriseId(f));
        }
        grpc::ClientContext ctx;
        Prepare(f.admin_token, ctx);
        pb::AcquireLotsResponse resp;
        if (grpc::Status s = inventory->AcquireLots(&ctx, req, &resp); !s.ok()) {
          Die(absl::StrCat("AcquireLots batch ", b), s);
        }
      }
    });
  }
  for (std::thread& t : workers) t.join();
  std::printf("  setup: %lld lots acquired in %.1f s\n", static_cast<long long>(total),
              std::chrono::duration<double>(Clock::now() - begin).count());
  {
    pb::AddPriceMarksRequest req;
    req.set_request_id(absl::StrCat(f.run_id, "-price"));
    pb::PriceMark* m = req.add_marks();
    m->set_metal("CU");
    int y = 0, mo = 0, d = 0;
    if (std::sscanf(f.price_date.c_str(), "%d-%d-%d", &y, &mo, &d) != 3) {
      std::fprintf(stderr, "financing-bench: --price-date must be YYYY-MM-DD\n");
      std::exit(2);
    }
    SetDate(m->mutable_date(), y, mo, d);
    m->set_price_minor_per_t(kPriceMinorPerT);
    m->set_currency("CNY");
    m->set_source("financing-bench");
    grpc::ClientContext ctx;
    Prepare(f.admin_token, ctx);
    pb::AddPriceMarksResponse resp;
    if (grpc::Status s = inventory->AddPriceMarks(&ctx, req, &resp); !s.ok()) {
      Die("AddPriceMarks", s);
    }
  }
}

pb::CreatePledgeRequest PledgeRequest(const Flags& f, const std::string& rid,
                                      const std::vector<int64_t>& lots) {
  pb::CreatePledgeRequest req;
  req.set_request_id(rid);
  SetDate(req.mutable_business_date(), 2024, 6, 1);
  req.set_borrower_enterprise_id(EnterpriseId(f));
  for (int64_t n : lots) req.add_lot_ids(LotId(f, n));
  // A third of the collateral's value: far below the 70% limit at the bench's price.
  req.set_principal_minor(static_cast<int64_t>(lots.size()) * kLotTonnes * kPriceMinorPerT / 3);
  req.set_currency("CNY");
  req.set_interest_rate_bp(450);
  SetDate(req.mutable_maturity_date(), 2025, 6, 1);
  req.set_max_ltv_bp(7000);
  req.set_margin_call_ltv_bp(8500);
  req.set_loan_reference(rid);
  return req;
}

// Waits until a pledge of the probe lot stops failing with NO_PRICE_MARK (the follower has
// marked the bench's price), then repays it.
void WaitForMark(const Flags& f, pb::FinancingService::Stub& bank_a) {
  const Clock::time_point deadline = Clock::now() + kMarkWait;
  for (int attempt = 0;; ++attempt) {
    grpc::ClientContext ctx;
    Prepare(f.bank_a_token, ctx);
    pb::PledgeResponse resp;
    grpc::Status s = bank_a.CreatePledge(
        &ctx, PledgeRequest(f, absl::StrCat(f.run_id, "-probe-", attempt), {f.lots}), &resp);
    if (s.ok()) {
      pb::RepayPledgeRequest repay;
      repay.set_request_id(absl::StrCat(f.run_id, "-probe-repay"));
      SetDate(repay.mutable_business_date(), 2024, 6, 2);
      repay.set_pledge_id(resp.pledge().pledge_id());
      grpc::ClientContext rctx;
      Prepare(f.bank_a_token, rctx);
      pb::PledgeResponse rresp;
      if (grpc::Status r = bank_a.RepayPledge(&rctx, repay, &rresp); !r.ok()) Die("repay", r);
      return;
    }
    if (ReasonOf(s) != "NO_PRICE_MARK" || Clock::now() > deadline) Die("probe pledge", s);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

// ---- The race ----

struct Call {
  int slot = 0;
  Clock::time_point start;
  std::unique_ptr<grpc::ClientContext> ctx;
  pb::CreatePledgeRequest req;
  pb::PledgeResponse resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::PledgeResponse>> reader;
};

struct BankResult {
  int64_t ok = 0;
  std::map<std::string, int64_t> refused;  // FAILED_PRECONDITION by reason
  std::map<std::string, int64_t> errors;   // anything else, by code
  std::vector<int64_t> latencies_ns;
};

// One bank: `clients` calls in flight until `end` or the lots run out. `offset` shifts its
// lots (0 for bank A, 1 for bank B).
BankResult RunBank(const Flags& f, const std::string& token, const std::string& name,
                   int64_t offset, Clock::time_point end) {
  BankResult out;
  out.latencies_ns.reserve(1 << 20);
  std::vector<std::unique_ptr<pb::FinancingService::Stub>> stubs;
  const int n_channels = std::min(f.clients, 8);
  for (int c = 0; c < n_channels; ++c)
    stubs.push_back(pb::FinancingService::NewStub(OwnChannel(f.address)));
  grpc::CompletionQueue cq;
  std::vector<Call> calls(f.clients);
  int64_t next_k = 0;
  const int64_t n = f.lots_per_pledge;
  const int64_t max_k = (f.lots - 1 - offset) / n;  // the last request whose lots all exist
  auto start_call = [&](int slot) {
    if (Clock::now() >= end || next_k >= max_k) return false;
    const int64_t k = next_k++;
    Call& c = calls[slot];
    c.slot = slot;
    c.ctx = std::make_unique<grpc::ClientContext>();
    Prepare(token, *c.ctx);
    std::vector<int64_t> lots;
    for (int64_t i = 0; i < n; ++i) lots.push_back(k * n + offset + i);
    c.req = PledgeRequest(f, absl::StrCat(f.run_id, "-", name, "-", k), lots);
    c.start = Clock::now();
    c.reader = stubs[slot % n_channels]->AsyncCreatePledge(c.ctx.get(), c.req, &cq);
    c.reader->Finish(&c.resp, &c.status, &c);
    return true;
  };
  int in_flight = 0;
  for (int slot = 0; slot < f.clients; ++slot) in_flight += start_call(slot) ? 1 : 0;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    Call& c = *static_cast<Call*>(tag);
    out.latencies_ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - c.start).count());
    if (c.status.ok()) {
      ++out.ok;
    } else if (c.status.error_code() == grpc::StatusCode::FAILED_PRECONDITION) {
      ++out.refused[ReasonOf(c.status)];
    } else {
      ++out.errors[absl::StrCat("code ", static_cast<int>(c.status.error_code()), " ",
                                c.status.error_message())];
    }
    if (!start_call(c.slot)) --in_flight;
  }
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  return out;
}

// Every lot of every pledge of one bank (ListPledges, all pages).
std::vector<std::string> PledgedLots(const Flags& f, const std::string& token, int64_t* pledges) {
  auto stub = pb::FinancingService::NewStub(OwnChannel(f.address));
  std::vector<std::string> out;
  std::string token_page;
  for (int page = 0; page < kMaxListPages; ++page) {
    pb::ListPledgesRequest req;
    req.set_status(pb::PLEDGE_STATUS_ACTIVE);
    req.set_page_size(kListPageSize);
    req.set_page_token(token_page);
    grpc::ClientContext ctx;
    Prepare(token, ctx);
    pb::ListPledgesResponse resp;
    if (grpc::Status s = stub->ListPledges(&ctx, req, &resp); !s.ok()) Die("ListPledges", s);
    for (const pb::Pledge& p : resp.pledges()) {
      if (p.borrower_enterprise_id() != EnterpriseId(f)) continue;  // other runs' pledges
      ++*pledges;
      for (const std::string& lot : p.lot_ids()) out.push_back(lot);
    }
    token_page = resp.next_page_token();
    if (token_page.empty()) break;
  }
  return out;
}

void PrintBank(const char* name, const BankResult& r) {
  std::printf("  bank %s: ok %lld", name, static_cast<long long>(r.ok));
  for (const auto& [reason, count] : r.refused) {
    std::printf(", refused %s %lld", reason.c_str(), static_cast<long long>(count));
  }
  for (const auto& [what, count] : r.errors) {
    std::printf(", ERROR %s x%lld", what.c_str(), static_cast<long long>(count));
  }
  std::printf("\n");
}

int RunVerify(const Flags& f) {
  auto stub = pb::FinancingService::NewStub(OwnChannel(f.address));
  std::mt19937_64 rng(42);
  std::uniform_int_distribution<int64_t> pick(0, f.lots - 1);
  std::vector<int64_t> ns;
  ns.reserve(f.verify_calls);
  for (int i = 0; i < f.verify_calls; ++i) {
    pb::VerifyLotsRequest req;
    std::set<int64_t> chosen;
    while (static_cast<int>(chosen.size()) < f.verify_lots) chosen.insert(pick(rng));
    for (int64_t n : chosen) req.add_lot_ids(LotId(f, n));
    req.set_borrower_enterprise_id(EnterpriseId(f));
    grpc::ClientContext ctx;
    Prepare(f.bank_a_token, ctx);
    pb::VerifyLotsResponse resp;
    const Clock::time_point start = Clock::now();
    grpc::Status s = stub->VerifyLots(&ctx, req, &resp);
    ns.push_back(
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count());
    if (!s.ok()) Die("VerifyLots", s);
    if (resp.lots_size() != f.verify_lots) Die("VerifyLots answer", grpc::Status::OK);
  }
  Percentiles p = Summarise(ns);
  std::printf("verify: %d calls of %d lots: p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n",
              f.verify_calls, f.verify_lots, p.p50_ms, p.p99_ms, p.p999_ms, p.max_ms);
  std::printf("RESULT verify_p50_ms=%.3f verify_p99_ms=%.3f verify_p999_ms=%.3f\n", p.p50_ms,
              p.p99_ms, p.p999_ms);
  return 0;
}

absl::Status ReadToken(const std::string& path, std::string* out) {
  std::ifstream in(path);
  if (!in || !std::getline(in, *out)) {
    return absl::NotFoundError(absl::StrCat("cannot read a token from ", path));
  }
  *out = std::string(absl::StripAsciiWhitespace(*out));
  return absl::OkStatus();
}

int Main(int argc, char** argv) {
  // As in reserved: no deadlock bookkeeping on every lock (gRPC's client locks included).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags f;
  CLI::App app{"financing-bench: racing pledges and VerifyLots latency against reserved"};
  app.add_option("--address", f.address, "host:port of reserved");
  app.add_option("--admin-token-file", f.admin_token_file, "token with the admin role")->required();
  app.add_option("--bank-a-token-file", f.bank_a_token_file, "token of one bank:<id>")->required();
  app.add_option("--bank-b-token-file", f.bank_b_token_file, "token of another bank:<id>")
      ->required();
  app.add_option("--lots", f.lots, "lots to create and race for")
      ->check(CLI::Range(int64_t{10}, int64_t{10'000'000}));
  app.add_option("--clients", f.clients, "CreatePledge calls in flight per bank")
      ->check(CLI::Range(1, kMaxClients));
  app.add_option("--seconds", f.seconds, "race duration (ends sooner if the lots run out)")
      ->check(CLI::Range(1, 3600));
  app.add_option("--lots-per-pledge", f.lots_per_pledge, "lots per pledge")
      ->check(CLI::Range(1, 100));
  app.add_option("--verify-calls", f.verify_calls, "VerifyLots calls after the race (0: none)")
      ->check(CLI::Range(0, 10'000'000));
  app.add_option("--verify-lots", f.verify_lots, "lots per VerifyLots call")
      ->check(CLI::Range(1, 1000));
  app.add_option("--price-date", f.price_date, "date of the bench's price mark");
  app.add_option("--run-id", f.run_id, "prefix of every id (default: from the clock)");
  app.add_flag("--verify-only", f.verify_only, "set up, then time VerifyLots only (no race)");
  app.add_option("--server-pid", f.server_pid,
                 "report the server's CPU time per attempt and per pledge (/proc/<pid>/stat)");
  CLI11_PARSE(app, argc, argv);
  for (auto [path, token] : {std::pair{&f.admin_token_file, &f.admin_token},
                             std::pair{&f.bank_a_token_file, &f.bank_a_token},
                             std::pair{&f.bank_b_token_file, &f.bank_b_token}}) {
    if (absl::Status s = ReadToken(*path, token); !s.ok()) {
      std::fprintf(stderr, "financing-bench: %s\n", std::string(s.message()).c_str());
      return 2;
    }
  }
  if (f.run_id.empty()) {
    f.run_id = absl::StrCat("fb", std::chrono::duration_cast<std::chrono::milliseconds>(
                                      std::chrono::system_clock::now().time_since_epoch())
                                      .count());
  }
  std::printf(
      "financing-bench: address=%s lots=%lld clients/bank=%d seconds=%d "
      "lots/pledge=%d run=%s\n",
      f.address.c_str(), static_cast<long long>(f.lots), f.clients, f.seconds, f.lots_per_pledge,
      f.run_id.c_str());
  Setup(f, OwnChannel(f.address));
  if (f.verify_only) return RunVerify(f);
  {
    auto bank_a = pb::FinancingService::NewStub(OwnChannel(f.address));
    WaitForMark(f, *bank_a);
  }

  const int64_t server_ticks_before = f.server_pid > 0 ? CpuTicks(f.server_pid) : 0;
  const Clock::time_point begin = Clock::now();
  const Clock::time_point end = begin + std::chrono::seconds(f.seconds);
  BankResult a, b;
  std::thread ta([&] { a = RunBank(f, f.bank_a_token, "a", 0, end); });
  std::thread tb([&] { b = RunBank(f, f.bank_b_token, "b", 1, end); });
  ta.join();
  tb.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - begin).count();
  const int64_t server_ticks = f.server_pid > 0 ? CpuTicks(f.server_pid) - server_ticks_before : 0;
  const int64_t ok = a.ok + b.ok;
  const int64_t attempts = static_cast<int64_t>(a.latencies_ns.size() + b.latencies_ns.size());
  std::vector<int64_t> all = a.latencies_ns;
  all.insert(all.end(), b.latencies_ns.begin(), b.latencies_ns.end());
  Percentiles p = Summarise(all);
  std::printf("race: %.1f s, %lld attempts (%.0f/s), %lld pledges committed (%.0f/s)\n", elapsed,
              static_cast<long long>(attempts), static_cast<double>(attempts) / elapsed,
              static_cast<long long>(ok), static_cast<double>(ok) / elapsed);
  PrintBank("A", a);
  PrintBank("B", b);
  std::printf("  latency ms (all attempts): p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f\n", p.p50_ms,
              p.p99_ms, p.p999_ms, p.max_ms);
  if (f.server_pid > 0 && attempts > 0 && ok > 0) {
    const double cpu_ms =
        static_cast<double>(server_ticks) * 1000.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
    std::printf(
        "  server CPU: %.2f s over the race = %.1f%% of one core; %.3f ms per attempt, "
        "%.3f ms per committed pledge\n",
        cpu_ms / 1000.0, cpu_ms / 10.0 / elapsed, cpu_ms / static_cast<double>(attempts),
        cpu_ms / static_cast<double>(ok));
  }

  // The Qingdao invariant, read back from the server.
  int64_t pledges_a = 0, pledges_b = 0;
  std::vector<std::string> lots_a = PledgedLots(f, f.bank_a_token, &pledges_a);
  std::vector<std::string> lots_b = PledgedLots(f, f.bank_b_token, &pledges_b);
  std::set<std::string> seen;
  int64_t doubled = 0;
  for (const std::string& lot : lots_a) doubled += seen.insert(lot).second ? 0 : 1;
  for (const std::string& lot : lots_b) doubled += seen.insert(lot).second ? 0 : 1;
  const bool counts_match = pledges_a == a.ok && pledges_b == b.ok;
  std::printf("  check: %lld + %lld pledges listed, %zu lots pledged, %lld lots in two pledges%s\n",
              static_cast<long long>(pledges_a), static_cast<long long>(pledges_b), seen.size(),
              static_cast<long long>(doubled), counts_match ? "" : "  (COUNT MISMATCH)");
  std::printf(
      "RESULT pledges_per_s=%.1f attempts_per_s=%.1f p50_ms=%.3f p99_ms=%.3f "
      "double_pledged=%lld\n",
      static_cast<double>(ok) / elapsed, static_cast<double>(attempts) / elapsed, p.p50_ms,
      p.p99_ms, static_cast<long long>(doubled));
  int rc = (doubled == 0 && counts_match && a.errors.empty() && b.errors.empty()) ? 0 : 1;
  if (f.verify_calls > 0 && RunVerify(f) != 0) rc = 1;
  return rc;
}

}  // namespace
}  // namespace reserve::bench

int main(int argc, char** argv) { return reserve::bench::Main(argc, argv); }
