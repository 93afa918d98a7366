// Load generator for a running `reserved` (InventoryService over gRPC).
//
//   reserve-bench --address=127.0.0.1:50051 --token-file=F [--clients=64] [--seconds=20]
//                 [--channels=0] [--lots-per-request=1]
//       Creates its own depots (with room for far more than the run can acquire), then keeps
//       --clients AcquireLots calls in flight for --seconds (asynchronous client: one
//       completion queue, so the generator costs little CPU next to the server). Prints
//       throughput, p50/p99/p99.9 latency and errors by status code. --channels: 0 = one
//       channel (own TCP connection) per client; N = a pool of N shared round-robin.
//   reserve-bench --holdings --fill-lots=1000000 [--queries=2000] [--server-pid=P] ...
//       Fills the store with that many lots (AcquireLots batches of 1,000, a few in flight),
//       then times --queries GetHoldings calls one at a time, cycling through several
//       group-bys; prints p50/p99/p99.9 per group-by and overall, and the server's peak and
//       current RSS (VmHWM / VmRSS from /proc/<pid>/status) when --server-pid is given.
//       --acquire-between commits one lot (untimed) before each query, so every query reads
//       the ledger rather than the server's cache of holdings at an unchanged seq.
//
// Request ids carry a per-run prefix (--run-id, default from the clock), so runs against the
// same store never collide. The token needs the admin role (AcquireLots, CreateDepot).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"
#include "absl/synchronization/mutex.h"
#include "grpcpp/grpcpp.h"
#include "reserve/v1/inventory.grpc.pb.h"
#include "tests/bench/bench_kit.h"

namespace reserve::bench {
namespace {

using Clock = std::chrono::steady_clock;
namespace pb = ::reserve::v1;

constexpr int64_t kTonneG = 1'000'000;
// Room per depot and metal: 10^15 g = 10^9 t, far beyond any run (10^6 lots of 25 t fill
// 2.5 * 10^13 g), and 16 depots * 3 metals of it stay far from int64 limits.
constexpr int64_t kDepotCapacityG = 1'000'000'000'000'000;
constexpr int kDepots = 16;
constexpr int kOwners = 8;
constexpr int kFillBatch = 1000;   // the service's limit per acquisition
constexpr int kFillInFlight = 4;   // batches in flight while filling
constexpr int kMaxClients = 4096;  // bound on in-flight calls
const char* const kProvinces[] = {"Jiangsu", "Guangdong", "Gansu", "Yunnan",
                                  "Hunan",   "Sichuan",   "Hebei", "Shandong"};
struct MetalGrade {
  const char* metal;
  const char* grade;
};
const MetalGrade kMetals[] = {{"CU", "Cu-CATH-1"}, {"AL", "Al99.70"}, {"ZN", "Zn99.995"}};

struct Flags {
  std::string address = "127.0.0.1:50051";
  std::string token_file;
  std::string token;
  int clients = 64;
  int seconds = 20;
  int channels = 0;
  int lots_per_request = 1;
  bool holdings = false;
  int64_t fill_lots = 0;
  bool acquire_between = false;
  int queries = 2000;
  int server_pid = 0;
  std::string run_id;
};

std::string DepotId(const Flags& f, int d) { return absl::StrCat(f.run_id, "-D", d); }

[[noreturn]] void Die(absl::string_view what, const grpc::Status& s) {
  std::fprintf(stderr, "reserve-bench: %.*s: %s: %s\n", static_cast<int>(what.size()), what.data(),
               absl::StatusCodeToString(static_cast<absl::StatusCode>(s.error_code())).c_str(),
               s.error_message().c_str());
  std::exit(1);
}

void CreateDepots(const Flags& f, pb::InventoryService::Stub& stub) {
  for (int d = 0; d < kDepots; ++d) {
    pb::CreateDepotRequest req;
    req.set_request_id(absl::StrCat(f.run_id, "-depot-", d));
    pb::Depot* depot = req.mutable_depot();
    depot->set_depot_id(DepotId(f, d));
    depot->set_name(absl::StrCat("Bench depot ", d));
    depot->set_province(kProvinces[d % std::size(kProvinces)]);
    depot->set_operator_name("bench");
    depot->set_kind(d % 4 == 3 ? pb::DEPOT_KIND_COMMERCIAL : pb::DEPOT_KIND_STATE);
    for (const MetalGrade& m : kMetals) {
      (*depot->mutable_capacity_g())[m.metal] = kDepotCapacityG;
    }
    grpc::ClientContext ctx;
    Prepare(f.token, ctx);
    pb::DepotResponse resp;
    grpc::Status s = stub.CreateDepot(&ctx, req, &resp);
    if (!s.ok()) {
      Die(absl::StrCat("CreateDepot ", depot->depot_id()), s);
    }
  }
}

// A lot of a run: `group` picks the metal and depot, `n` the class, owner and mass, so that
// every group-by has several rows while one batch of 1,000 (one group) stays well under the
// ledger's 1,024 accounts per transaction (24 stock + 24 cost accounts and a few more).
// Masses 25..250 t like real warrant and auction lots.
void FillLot(const Flags& f, int64_t group, int64_t n, pb::Lot* lot) {
  const MetalGrade& m = kMetals[group % std::size(kMetals)];
  lot->set_metal(m.metal);
  lot->set_grade(m.grade);
  lot->set_brand("bench");
  lot->set_form("ingot");
  lot->set_pieces(10);
  const int64_t mass_g = (25 + (n % 10) * 25) * kTonneG;
  lot->set_net_mass_g(mass_g);
  lot->set_gross_mass_g(mass_g + 1000);
  lot->set_depot_id(DepotId(f, static_cast<int>((group / 3) % kDepots)));
  lot->set_year_produced(2020);
  lot->set_year_stored(2021);
  lot->set_cost_minor(mass_g / kTonneG * 6'000'000);
  lot->set_currency("CNY");
  lot->set_reserve_class(static_cast<pb::ReserveClass>(1 + n % 3));
  lot->set_owner(absl::StrCat("owner-", (n / 3) % kOwners));
}

// One in-flight asynchronous call; its address is the completion-queue tag.
struct Call {
  int slot = 0;
  Clock::time_point start;
  std::unique_ptr<grpc::ClientContext> ctx;
  pb::AcquireLotsRequest req;
  pb::AcquireLotsResponse resp;
  grpc::Status status;
  std::unique_ptr<grpc::ClientAsyncResponseReader<pb::AcquireLotsResponse>> reader;
};

int RunAcquire(const Flags& f) {
  const int n_channels = f.channels <= 0 ? f.clients : std::min(f.channels, f.clients);
  std::vector<std::unique_ptr<pb::InventoryService::Stub>> stubs;
  for (int c = 0; c < n_channels; ++c) {
    std::shared_ptr<grpc::Channel> channel = OwnChannel(f.address);
    // OwnChannel connects before the clock starts, so the run measures calls, not TCP set-up.
    if (channel->GetState(/*try_to_connect=*/false) != GRPC_CHANNEL_READY) {
      Die("connect", grpc::Status(grpc::StatusCode::UNAVAILABLE, f.address));
    }
    stubs.push_back(pb::InventoryService::NewStub(channel));
  }
  CreateDepots(f, *stubs[0]);

  grpc::CompletionQueue cq;
  std::vector<Call> calls(f.clients);
  std::vector<int64_t> next_seq(f.clients, 0);
  std::vector<int64_t> latencies_ns;
  latencies_ns.reserve(1 << 20);
  std::map<std::string, int64_t> errors;
  int64_t lots_ok = 0;

  auto start_call = [&](int slot) {
    Call& c = calls[slot];
    c.slot = slot;
    c.ctx = std::make_unique<grpc::ClientContext>();
    Prepare(f.token, *c.ctx);
    c.req.Clear();
    c.req.set_request_id(absl::StrCat(f.run_id, "-c", slot, "-", next_seq[slot]++));
    c.req.mutable_business_date()->set_year(2024);
    c.req.mutable_business_date()->set_month(6);
    c.req.mutable_business_date()->set_day(1);
    for (int i = 0; i < f.lots_per_request; ++i) {
      FillLot(f, slot + next_seq[slot], next_seq[slot] * f.lots_per_request + i, c.req.add_lots());
    }
    c.start = Clock::now();
    c.reader = stubs[slot % n_channels]->AsyncAcquireLots(c.ctx.get(), c.req, &cq);
    c.reader->Finish(&c.resp, &c.status, &c);
  };

  const Clock::time_point begin = Clock::now();
  const Clock::time_point end = begin + std::chrono::seconds(f.seconds);
  for (int slot = 0; slot < f.clients; ++slot) {
    start_call(slot);
  }
  int in_flight = f.clients;
  void* tag = nullptr;
  bool ok = false;
  while (in_flight > 0 && cq.Next(&tag, &ok)) {
    Call& c = *static_cast<Call*>(tag);
    const Clock::time_point now = Clock::now();
    if (c.status.ok()) {
      latencies_ns.push_back(
          std::chrono::duration_cast<std::chrono::nanoseconds>(now - c.start).count());
      lots_ok += f.lots_per_request;
    } else {
      ++errors[absl::StatusCodeToString(static_cast<absl::StatusCode>(c.status.error_code()))];
      if (errors.size() == 1 && errors.begin()->second == 1) {
        std::fprintf(stderr, "first error: %s\n", c.status.error_message().c_str());
      }
    }
    if (now < end) {
      start_call(c.slot);
    } else {
      --in_flight;
    }
  }
  const double elapsed_s = std::chrono::duration<double>(Clock::now() - begin).count();
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }

  const size_t ok_calls = latencies_ns.size();
  Percentiles p = Summarise(latencies_ns);
  std::printf(
      "reserve-bench acquire: address=%s clients=%d channels=%d lots/request=%d "
      "seconds=%.1f\n",
      f.address.c_str(), f.clients, n_channels, f.lots_per_request, elapsed_s);
  std::printf("  ok requests:   %zu (%.0f/s), lots acquired %lld (%.0f/s)\n", ok_calls,
              static_cast<double>(ok_calls) / elapsed_s, static_cast<long long>(lots_ok),
              static_cast<double>(lots_ok) / elapsed_s);
  std::printf("  latency ms:    p50 %.2f  p99 %.2f  p99.9 %.2f  max %.2f  mean %.2f\n", p.p50_ms,
              p.p99_ms, p.p999_ms, p.max_ms, p.mean_ms);
  int64_t n_errors = 0;
  for (const auto& [code, n] : errors) {
    std::printf("  errors:        %s %lld\n", code.c_str(), static_cast<long long>(n));
    n_errors += n;
  }
  if (errors.empty()) {
    std::printf("  errors:        none\n");
  }
  // One machine-readable line for scripts (ops/bench/pg_compare.sh).
  std::printf("RESULT tps=%.1f p50_ms=%.3f p99_ms=%.3f p999_ms=%.3f errors=%lld\n",
              static_cast<double>(ok_calls) / elapsed_s, p.p50_ms, p.p99_ms, p.p999_ms,
              static_cast<long long>(n_errors));
  return n_errors == 0 ? 0 : 1;
}

std::string ProcStatusLine(int pid, absl::string_view key) {
  std::ifstream in(absl::StrCat("/proc/", pid, "/status"));
  std::string line;
  while (std::getline(in, line)) {
    if (absl::StartsWith(line, absl::StrCat(key, ":"))) {
      return std::string(absl::StripAsciiWhitespace(line.substr(key.size() + 1)));
    }
  }
  return "?";
}

void Fill(const Flags& f, pb::InventoryService::Stub& stub) {
  const int64_t batches = (f.fill_lots + kFillBatch - 1) / kFillBatch;
  std::atomic<int64_t> next{0};
  std::atomic<int64_t> done_lots{0};
  const Clock::time_point begin = Clock::now();
  std::vector<std::thread> workers;
  for (int w = 0; w < kFillInFlight; ++w) {
    workers.emplace_back([&] {
      for (int64_t b = next++; b < batches; b = next++) {
        pb::AcquireLotsRequest req;
        req.set_request_id(absl::StrCat(f.run_id, "-fill-", b));
        req.mutable_business_date()->set_year(2024);
        req.mutable_business_date()->set_month(6);
        req.mutable_business_date()->set_day(1);
        const int64_t first = b * kFillBatch;
        const int64_t last = std::min<int64_t>(first + kFillBatch, f.fill_lots);
        for (int64_t n = first; n < last; ++n) {
          FillLot(f, b, n, req.add_lots());
        }
        grpc::ClientContext ctx;
        Prepare(f.token, ctx);
        pb::AcquireLotsResponse resp;
        grpc::Status s = stub.AcquireLots(&ctx, req, &resp);
        if (!s.ok()) {
          Die(absl::StrCat("fill batch ", b), s);
        }
        const int64_t total = done_lots += last - first;
        if ((b + 1) % 100 == 0) {
          std::fprintf(stderr, "  filled %lld lots (%.0f s)\n", static_cast<long long>(total),
                       std::chrono::duration<double>(Clock::now() - begin).count());
        }
      }
    });
  }
  for (auto& t : workers) {
    t.join();
  }
  const double s = std::chrono::duration<double>(Clock::now() - begin).count();
  std::printf("  filled %lld lots in %.1f s (%.0f lots/s, batches of %d, %d in flight)\n",
              static_cast<long long>(done_lots.load()), s, static_cast<double>(done_lots) / s,
              kFillBatch, kFillInFlight);
}

int RunHoldings(const Flags& f) {
  auto stub = pb::InventoryService::NewStub(OwnChannel(f.address));
  std::printf("reserve-bench holdings: address=%s fill-lots=%lld queries=%d\n", f.address.c_str(),
              static_cast<long long>(f.fill_lots), f.queries);
  if (f.fill_lots > 0 || f.acquire_between) {
    CreateDepots(f, *stub);
  }
  if (f.fill_lots > 0) {
    Fill(f, *stub);
  }
  using K = pb::HoldingsGroupKey;
  const std::vector<std::pair<std::string, std::vector<K>>> group_bys = {
      {"metal", {pb::HOLDINGS_GROUP_KEY_METAL}},
      {"metal,depot", {pb::HOLDINGS_GROUP_KEY_METAL, pb::HOLDINGS_GROUP_KEY_DEPOT}},
      {"metal,province", {pb::HOLDINGS_GROUP_KEY_METAL, pb::HOLDINGS_GROUP_KEY_PROVINCE}},
      {"metal,depot,class,owner",
       {pb::HOLDINGS_GROUP_KEY_METAL, pb::HOLDINGS_GROUP_KEY_DEPOT,
        pb::HOLDINGS_GROUP_KEY_RESERVE_CLASS, pb::HOLDINGS_GROUP_KEY_OWNER}},
  };
  std::vector<std::vector<int64_t>> per_group(group_bys.size());
  std::vector<int> rows(group_bys.size(), 0);
  std::vector<int64_t> all;
  for (int q = 0; q < f.queries; ++q) {
    const size_t g = static_cast<size_t>(q) % group_bys.size();
    if (f.acquire_between) {
      // Untimed: one lot, so the head moves and the query cannot be answered from the
      // server's cache of holdings at an unchanged seq.
      pb::AcquireLotsRequest acquire;
      acquire.set_request_id(absl::StrCat(f.run_id, "-between-", q));
      acquire.mutable_business_date()->set_year(2024);
      acquire.mutable_business_date()->set_month(6);
      acquire.mutable_business_date()->set_day(1);
      FillLot(f, q, f.fill_lots + q, acquire.add_lots());
      grpc::ClientContext actx;
      Prepare(f.token, actx);
      pb::AcquireLotsResponse aresp;
      if (grpc::Status s = stub->AcquireLots(&actx, acquire, &aresp); !s.ok()) {
        Die("AcquireLots between queries", s);
      }
    }
    pb::GetHoldingsRequest req;
    for (K k : group_bys[g].second) {
      req.add_group_by(k);
    }
    grpc::ClientContext ctx;
    Prepare(f.token, ctx);
    pb::GetHoldingsResponse resp;
    const Clock::time_point start = Clock::now();
    grpc::Status s = stub->GetHoldings(&ctx, req, &resp);
    const int64_t ns =
        std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now() - start).count();
    if (!s.ok()) {
      Die("GetHoldings", s);
    }
    per_group[g].push_back(ns);
    all.push_back(ns);
    rows[g] = resp.rows_size();
  }
  for (size_t g = 0; g < group_bys.size(); ++g) {
    Percentiles p = Summarise(per_group[g]);
    std::printf("  group-by %-24s rows %5d  n %5zu  p50 %.3f  p99 %.3f  p99.9 %.3f ms\n",
                group_bys[g].first.c_str(), rows[g], p.count, p.p50_ms, p.p99_ms, p.p999_ms);
  }
  Percentiles p = Summarise(all);
  std::printf("  all queries     n %zu  p50 %.3f  p99 %.3f  p99.9 %.3f  max %.3f ms\n", p.count,
              p.p50_ms, p.p99_ms, p.p999_ms, p.max_ms);
  if (f.server_pid > 0) {
    std::printf("  server pid %d: VmHWM %s, VmRSS %s\n", f.server_pid,
                ProcStatusLine(f.server_pid, "VmHWM").c_str(),
                ProcStatusLine(f.server_pid, "VmRSS").c_str());
  }
  std::printf("RESULT holdings_p50_ms=%.3f holdings_p99_ms=%.3f holdings_p999_ms=%.3f\n", p.p50_ms,
              p.p99_ms, p.p999_ms);
  return 0;
}

int Main(int argc, char** argv) {
  // As in reserved: no deadlock bookkeeping on every lock (gRPC's client locks included).
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  Flags f;
  CLI::App app{"reserve-bench: load generator for InventoryService (AcquireLots, GetHoldings)"};
  app.add_option("--address", f.address, "host:port of reserved");
  app.add_option("--token-file", f.token_file, "file with a bearer token (admin role)");
  app.add_option("--clients", f.clients, "concurrent AcquireLots calls in flight")
      ->check(CLI::Range(1, kMaxClients));
  app.add_option("--seconds", f.seconds, "measured duration")->check(CLI::Range(1, 3600));
  app.add_option("--channels", f.channels,
                 "0: one channel (TCP connection) per client; N: a shared pool of N")
      ->check(CLI::Range(0, kMaxClients));
  app.add_option("--lots-per-request", f.lots_per_request, "lots per AcquireLots call")
      ->check(CLI::Range(1, kFillBatch));
  app.add_flag("--holdings", f.holdings, "measure GetHoldings instead of acquisitions");
  app.add_option("--fill-lots", f.fill_lots, "--holdings: lots to acquire first")
      ->check(CLI::Range(int64_t{0}, int64_t{100'000'000}));
  app.add_option("--queries", f.queries, "--holdings: GetHoldings calls to time")
      ->check(CLI::Range(1, 10'000'000));
  app.add_option("--server-pid", f.server_pid, "--holdings: report this process's RSS");
  app.add_flag("--acquire-between", f.acquire_between,
               "--holdings: acquire one lot (untimed) before each query, so that no query is "
               "answered from the server's cache of holdings at an unchanged journal seq");
  app.add_option("--run-id", f.run_id, "prefix of request, depot and lot ids (default: clock)");
  CLI11_PARSE(app, argc, argv);
  if (f.run_id.empty()) {
    f.run_id = absl::StrCat("b", std::chrono::duration_cast<std::chrono::milliseconds>(
                                     std::chrono::system_clock::now().time_since_epoch())
                                     .count());
  }
  if (!f.token_file.empty()) {
    std::ifstream in(f.token_file);
    if (!in || !std::getline(in, f.token)) {
      std::fprintf(stderr, "reserve-bench: cannot read a token from %s\n", f.token_file.c_str());
      return 1;
    }
    f.token = std::string(absl::StripAsciiWhitespace(f.token));
  }
  return f.holdings ? RunHoldings(f) : RunAcquire(f);
}

}  // namespace
}  // namespace reserve::bench

int main(int argc, char** argv) { return reserve::bench::Main(argc, argv); }
