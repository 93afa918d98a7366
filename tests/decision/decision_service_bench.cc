// Benchmark of the DecisionService domain over a durable RocksLedger (sync_writes=true; the
// set-up phases may run unsynced with --fast-setup). Not run by ctest: run it by hand on an
// idle machine, Release build, and report medians of several runs.
//
//   decision_service_bench [--dir=/tmp/decision-bench] [--lots=200] [--bidders=2000]
//                          [--bids=20000] [--threads=16] [--acquisitions=2000]
//
// Phases, each timed:
//   1. acquisitions: --acquisitions one-lot purchases from --threads threads, first without an
//      order, then each against one approved order (inventory's order hook: order, ceiling and
//      budget checks plus their guarded postings in the same transaction).
//   2. auction: an auction of --lots lots, --bidders registrations and --bids bids (set up from
//      --threads threads), then ClearAuction (closing bidding, reading every bid, clearing with
//      the engine, one transaction with every lot, settlement and refund) and
//      VerifyAuctionResult (replaying the journal from creation to close).
//   3. analysis: the live recommendations for the six Pink Sheet base metals (759 monthly
//      marks each, from the ledger) and the 1960-2023 backtest of the same six.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "services/decision/auctions.h"
#include "services/decision/decision.h"
#include "services/decision/engine/price_table.h"
#include "storage/rocks_ledger.h"

namespace reserve::decision {
namespace {

using SteadyClock = std::chrono::steady_clock;
constexpr int64_t kTonne = 1'000'000;
constexpr int64_t kYuan = 100;

struct Flags {
  std::string dir = "/tmp/decision-bench";
  int lots = 200;
  int bidders = 2000;
  int bids = 20000;
  int threads = 16;
  int acquisitions = 2000;
  bool fast_setup = false;
};

[[noreturn]] void Die(const std::string& what, const absl::Status& s) {
  std::fprintf(stderr, "%s: %s\n", what.c_str(), s.ToString().c_str());
  std::exit(1);
}

template <typename T>
T Must(absl::StatusOr<T> v, const std::string& what) {
  if (!v.ok()) Die(what, v.status());
  return *std::move(v);
}

double Seconds(SteadyClock::time_point start) {
  return std::chrono::duration<double>(SteadyClock::now() - start).count();
}

Context Ctx(const std::string& id, absl::CivilDay date = absl::CivilDay(2024, 3, 1),
            const std::string& who = "bench-admin") {
  return Context{id, who, date};
}

// Runs `body(i)` for i in [0, n) on `threads` threads.
template <typename Body>
void Parallel(int n, int threads, const Body& body) {
  std::atomic<int> next{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next++; i < n; i = next++) body(i);
    });
  }
  for (std::thread& t : pool) t.join();
}

inventory::Lot CopperLot(const std::string& id, int64_t tonnes) {
  inventory::Lot l;
  l.id = id;
  l.metal = "CU";
  l.grade = "Cu-CATH-1";
  l.brand = "Guixi";
  l.form = "cathode";
  l.pieces = 10;
  l.net_mass_g = tonnes * kTonne;
  l.gross_mass_g = tonnes * kTonne;
  l.depot = "D1";
  l.year_produced = 2020;
  l.year_stored = 2021;
  l.cost_minor = tonnes * 60'000 * kYuan;
  l.currency = "CNY";
  l.reserve_class = inventory::ReserveClass::kCentral;
  l.owner = "state";
  return l;
}

std::string ApprovedOrder(Decision& d, const std::string& id, ProposalLine line) {
  ProposalRequest req;
  Proposal& p = req.proposal;
  p.id = id;
  p.title = id;
  p.source = ProposalSource::kManual;
  p.currency = "CNY";
  p.valid_from = absl::CivilDay(2024, 1, 1);
  p.valid_to = absl::CivilDay(2024, 12, 31);
  p.funding = Funding::kBudget;
  p.lines = {line};
  Must(d.CreateProposal(Ctx("create-" + id), req), "create proposal");
  Mutation<Proposal> r = Must(
      d.ApproveProposal(Ctx("approve-" + id, absl::CivilDay(2024, 1, 2), "bench-approver"), id, ""),
      "approve");
  if (r.value.status != ProposalStatus::kApproved) {
    r = Must(d.ApproveProposal(Ctx("approve2-" + id, absl::CivilDay(2024, 1, 2), "bench-approver2"),
                               id, ""),
             "approve 2");
  }
  return r.value.order_ids.at(0);
}

void Acquisitions(const Flags& f, Decision& d) {
  for (bool with_order : {false, true}) {
    std::string order;
    if (with_order) {
      order = ApprovedOrder(d, "P-acq",
                            ProposalLine{Direction::kAcquire,
                                         "CU",
                                         f.acquisitions * kTonne,
                                         70'000 * kYuan,
                                         f.acquisitions * 70'000 * kYuan,
                                         {}});
    }
    std::atomic<int> failed{0};
    auto start = SteadyClock::now();
    Parallel(f.acquisitions, f.threads, [&](int i) {
      std::string id = absl::StrCat(with_order ? "O-" : "N-", i);
      inventory::AcquireRequest req;
      req.lots = {CopperLot(id, 1)};
      req.order_id = order;
      if (!d.inventory().Acquire(Ctx("acq-" + id), req).ok()) ++failed;
    });
    double s = Seconds(start);
    std::printf("acquisitions %-13s %6d in %7.3f s = %8.0f /s (%d failed)\n",
                with_order ? "with order" : "without order", f.acquisitions, s, f.acquisitions / s,
                failed.load());
  }
}

void AuctionPhase(const Flags& f, Decision& d, Auctions& auctions, std::atomic<int64_t>& now_ms) {
  // Stock: --lots lots of 100..250 t, earmarked under one release order.
  std::vector<inventory::Lot> lots;
  int64_t total_t = 0;
  for (int i = 0; i < f.lots; ++i) {
    int64_t t = 100 + (i * 37) % 151;
    total_t += t;
    lots.push_back(CopperLot(absl::StrCat("AUC-LOT-", 10000 + i), t));
  }
  for (size_t start = 0; start < lots.size(); start += 500) {
    inventory::AcquireRequest req;
    req.lots.assign(lots.begin() + start, lots.begin() + std::min(lots.size(), start + 500));
    Must(d.inventory().Acquire(Ctx(absl::StrCat("stock-", start)), req), "stock");
  }
  std::string order = ApprovedOrder(
      d, "P-rel", ProposalLine{Direction::kRelease, "CU", total_t * kTonne, 50'000 * kYuan, 0, {}});
  Auction a;
  a.id = "AUC-BENCH";
  a.title = "bench";
  a.order_id = order;
  a.currency = "CNY";
  for (const inventory::Lot& l : lots) a.lots.push_back({l.id, 60'000 * kYuan, "", 0, ""});
  a.eligibility_cutoff = absl::CivilDay(2024, 1, 1);
  a.deposit_minor = 10'000 * kYuan;
  a.bidder_cap_g = 2'000 * kTonne;
  a.bidding_opens_at_ms = now_ms.load();
  a.bidding_closes_at_ms = now_ms.load() + 3'600'000;
  a.payment_days = 10;
  a.pickup_days = 30;
  auto start = SteadyClock::now();
  Must(auctions.Create(Ctx("auction"), a), "create auction");
  std::printf("auction create (%d lots)        %7.3f s\n", f.lots, Seconds(start));

  start = SteadyClock::now();
  Parallel(f.bidders, f.threads, [&](int i) {
    Bidder b{absl::StrCat("b", i),
             absl::StrCat("Company ", i),
             absl::StrCat("g", i),
             true,
             absl::CivilDay(2010, 1, 1),
             10'000 * kYuan,
             true,
             0};
    Must(auctions.Register(Ctx(absl::StrCat("reg-", i)), a.id, b), "register");
  });
  std::printf("registrations %6d             %7.3f s\n", f.bidders, Seconds(start));
  start = SteadyClock::now();
  std::atomic<int> refused{0};
  Parallel(f.bids, f.threads, [&](int i) {
    // Distinct (bidder, lot) pairs; prices spread so that ties and caps both occur.
    int bidder = i % f.bidders;
    int lot = (i / f.bidders + bidder * 7) % f.lots;
    Bid bid{a.id, absl::StrCat("b", bidder), lots[lot].id, (60'000 + (i * 7919) % 5'000) * kYuan, 0,
            0};
    if (!auctions.PlaceBid(Ctx(absl::StrCat("bid-", i)), bid).ok()) ++refused;
  });
  std::printf("bids          %6d             %7.3f s (%d refused)\n", f.bids, Seconds(start),
              refused.load());

  now_ms = a.bidding_closes_at_ms;
  start = SteadyClock::now();
  Mutation<AuctionResult> r = Must(auctions.Clear(Ctx("clear"), a.id), "clear");
  std::printf("clear: %zu awards, %zu unsold        %7.3f s\n", r.value.awards.size(),
              r.value.unsold_lot_ids.size(), Seconds(start));
  start = SteadyClock::now();
  Verification v = Must(auctions.Verify(a.id), "verify");
  std::printf("verify from the journal (%llu entries, %s) %7.3f s\n",
              static_cast<unsigned long long>(v.journal_entries_read),
              v.matches ? "matches" : "DIFFERS", Seconds(start));
}

void Analysis(Decision& d) {
  std::ifstream in(RESERVE_PINK_SHEET);
  std::stringstream text;
  text << in.rdbuf();
  engine::MonthlyPrices table =
      Must(engine::LoadPinkSheetCsv(text.str(), {7'100'000, 100}), "pink sheet");
  const std::vector<std::string> metals = {"AL", "CU", "PB", "SN", "NI", "ZN"};
  std::vector<inventory::PriceMark> marks;
  std::vector<MarketPoint> points;
  for (const std::string& m : metals) {
    int i = table.MetalIndex(m);
    for (size_t j = 0; j < table.months.size(); ++j) {
      marks.push_back({m, absl::CivilDay(table.months[j]), table.price_minor_per_t[i][j], "CNY",
                       "World Bank Pink Sheet"});
    }
    points.push_back(
        {MarketSeries::kConsumption, m, absl::CivilDay(2022, 1, 1), 1'000'000 * kTonne, "bench"});
    Must(d.SetTarget(Ctx("target-" + m), Target{m, 60, 30, 90, 1, std::nullopt}), "target");
  }
  for (size_t start = 0; start < marks.size(); start += 4000) {
    std::vector<inventory::PriceMark> part(marks.begin() + start,
                                           marks.begin() + std::min(marks.size(), start + 4000));
    Must(d.inventory().AddPriceMarks(Ctx(absl::StrCat("marks-", start)), part), "marks");
  }
  Must(d.AddMarketData(Ctx("consumption"), points), "consumption");
  std::vector<double> rec, bt;
  for (int run = 0; run < 5; ++run) {
    auto start = SteadyClock::now();
    Must(d.Recommend(RecommendationQuery{absl::CivilDay(2023, 3, 15), {}, "CNY"}), "recommend");
    rec.push_back(Seconds(start));
    start = SteadyClock::now();
    BacktestQuery q;
    q.budget_minor_per_year = 10'000'000'000 * kYuan;
    engine::BacktestResult r = Must(d.Backtest(q), "backtest");
    bt.push_back(Seconds(start));
    if (run == 0) {
      std::printf("backtest: %lld months x %zu metals\n", static_cast<long long>(r.months),
                  r.totals.size());
    }
  }
  std::sort(rec.begin(), rec.end());
  std::sort(bt.begin(), bt.end());
  std::printf("recommend (6 metals, 759 marks each)   median %7.3f s\n", rec[2]);
  std::printf("backtest over the ledger (759 x 6)     median %7.3f s\n", bt[2]);
}

int Main(int argc, char** argv) {
  Flags f;
  CLI::App app{"DecisionService domain benchmark over a durable RocksLedger"};
  app.add_option("--dir", f.dir, "scratch directory (removed and recreated)");
  app.add_option("--lots", f.lots, "auction lots (<= 300)");
  app.add_option("--bidders", f.bidders, "auction bidders (<= 2500)");
  app.add_option("--bids", f.bids, "auction bids (<= lots x bidders)");
  app.add_option("--threads", f.threads, "concurrent callers");
  app.add_option("--acquisitions", f.acquisitions, "one-lot purchases per run");
  app.add_flag("--fast-setup", f.fast_setup, "unsynced ledger (logic only, not durable)");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::remove_all(f.dir);
  ledger::RocksLedgerOptions options;
  options.directory = f.dir;
  options.sync_writes = !f.fast_setup;
  std::unique_ptr<ledger::RocksLedger> ledger =
      Must(ledger::RocksLedger::Open(options), "open ledger");
  std::unique_ptr<Decision> d = Must(Decision::Create(*ledger), "decision");
  std::atomic<int64_t> now_ms{absl::ToUnixMillis(absl::Now())};
  Auctions auctions(*ledger, d->order_book(), d->inventory(),
                    [&now_ms] { return absl::FromUnixMillis(now_ms.load()); });
  inventory::Depot depot{"D1",
                         "Bench depot",
                         "Gansu",
                         "NFSRA",
                         inventory::DepotKind::kState,
                         false,
                         {{"CU", 10'000'000 * kTonne}}};
  Must(d->inventory().CreateDepot(Ctx("depot"), depot), "depot");
  Must(d->SetBudget(Ctx("budget"), Budget{2024, "CNY", 100'000'000'000 * kYuan}), "budget");
  Must(d->SetAnnualCeiling(Ctx("ceiling"),
                           AnnualCeiling{"CU", 2024, 10'000'000 * kTonne, 10'000'000 * kTonne}),
       "ceiling");
  std::printf("sync_writes=%s threads=%d\n", options.sync_writes ? "true" : "false", f.threads);
  Acquisitions(f, *d);
  AuctionPhase(f, *d, auctions, now_ms);
  Analysis(*d);
  ledger.reset();
  std::filesystem::remove_all(f.dir);
  return 0;
}

}  // namespace
}  // namespace reserve::decision

int main(int argc, char** argv) { return reserve::decision::Main(argc, argv); }
