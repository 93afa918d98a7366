// Benchmark of the in-process ledger (RocksLedger).
//
//   ledger_bench [--seconds=5] [--threads=1,16,64] [--dir=/tmp/ledger-bench]
//       Durable commits (sync_writes=true) of a typical transaction - one record write (a
//       compare-and-set update) and two postings - from N concurrent committers for T
//       seconds each; prints throughput and p50/p99 commit latency per concurrency, the
//       average group size, write_us/grp (from a group's write to its acknowledgement,
//       i.e. including its WAL sync) and cycle_us/grp (wall time per group written).
//   ledger_bench --restart-entries=1000000 [--dir=...]
//       Fills a store with that many entries (with sync_writes=false for the fill only,
//       to save time; the store is closed cleanly), then reports the median of 3 Open times.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "storage/rocks_ledger.h"

namespace reserve::ledger {
namespace {

using Clock = std::chrono::steady_clock;
namespace fs = std::filesystem;

std::unique_ptr<RocksLedger> OpenOrDie(const std::string& dir, bool sync,
                                       CommitObserver observer = {}) {
  RocksLedgerOptions options;
  options.directory = dir;
  options.sync_writes = sync;
  options.observer = std::move(observer);
  absl::StatusOr<std::unique_ptr<RocksLedger>> ledger = RocksLedger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "open %s: %s\n", dir.c_str(), ledger.status().ToString().c_str());
    std::exit(1);
  }
  return *std::move(ledger);
}

void OpenAccounts(Ledger& ledger, int threads) {
  Transaction tx;
  tx.request_id = "bench-open";
  tx.kind = "bench.open";
  tx.principal = "bench";
  tx.business_date = absl::CivilDay(2024, 1, 1);
  for (int t = 0; t < threads; ++t) {
    tx.open_accounts.push_back({absl::StrCat("cu/src/", t), "g:CU", false});
    tx.open_accounts.push_back({absl::StrCat("cu/dst/", t), "g:CU", true});
  }
  absl::StatusOr<Receipt> r = ledger.Commit(tx);
  if (!r.ok()) {
    std::fprintf(stderr, "setup: %s\n", r.status().ToString().c_str());
    std::exit(1);
  }
}

// One committer: CAS-updates its own record and moves metal between its two accounts.
// Returns per-commit latencies in microseconds.
std::vector<int64_t> Committer(Ledger& ledger, const std::string& tag, int t, Clock::time_point end,
                               std::atomic<int64_t>* errors) {
  std::vector<int64_t> latencies;
  latencies.reserve(1 << 16);
  Transaction tx;
  tx.kind = "inventory.transfer";
  tx.principal = "admin:bench";
  tx.business_date = absl::CivilDay(2024, 6, 1);
  tx.postings = {{absl::StrCat("cu/src/", t), -1'000'000}, {absl::StrCat("cu/dst/", t), 1'000'000}};
  tx.writes = {{absl::StrCat("lot/", tag, "/", t), 0, std::string(200, 'x'), false}};
  tx.memo = "benchmark transfer";
  for (uint64_t i = 0; Clock::now() < end; ++i) {
    tx.request_id = absl::StrCat(tag, "-", t, "-", i);
    Clock::time_point start = Clock::now();
    absl::StatusOr<Receipt> r = ledger.Commit(tx);
    latencies.push_back(
        std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count());
    if (!r.ok()) {
      errors->fetch_add(1);
      continue;
    }
    tx.writes[0].expected_version = r->seq;
  }
  return latencies;
}

int64_t Percentile(std::vector<int64_t>& v, double p) {
  if (v.empty()) return 0;
  size_t k = static_cast<size_t>(p * (v.size() - 1));
  std::nth_element(v.begin(), v.begin() + k, v.end());
  return v[k];
}

void RunThroughput(const std::string& root, const std::vector<int>& thread_counts, int seconds) {
  std::string dir = root + "/throughput";
  fs::remove_all(dir);
  std::atomic<int64_t> groups{0}, grouped{0}, write_us{0};
  CommitObserver observer;
  observer.on_group_written = [&](size_t size, int64_t micros) {
    groups.fetch_add(1);
    grouped.fetch_add(static_cast<int64_t>(size));
    write_us.fetch_add(micros);
  };
  std::unique_ptr<RocksLedger> ledger = OpenOrDie(dir, true, observer);
  int max_threads = *std::max_element(thread_counts.begin(), thread_counts.end());
  OpenAccounts(*ledger, max_threads);
  std::printf(
      "durable commits (sync_writes=true), one record CAS write + two postings, %d s each\n",
      seconds);
  std::printf("%8s %10s %10s %9s %9s %9s %10s %12s %12s\n", "threads", "commits", "tx/s", "p50_us",
              "p99_us", "errors", "avg_group", "write_us/grp", "cycle_us/grp");
  for (int threads : thread_counts) {
    groups = 0;
    grouped = 0;
    write_us = 0;
    std::atomic<int64_t> errors{0};
    std::vector<std::vector<int64_t>> results(threads);
    std::vector<std::thread> pool;
    Clock::time_point start = Clock::now();
    Clock::time_point end = start + std::chrono::seconds(seconds);
    std::string tag = absl::StrCat("c", threads);
    for (int t = 0; t < threads; ++t) {
      pool.emplace_back([&, t] { results[t] = Committer(*ledger, tag, t, end, &errors); });
    }
    for (auto& th : pool) th.join();
    double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    std::vector<int64_t> all;
    for (auto& r : results) all.insert(all.end(), r.begin(), r.end());
    int64_t commits = static_cast<int64_t>(all.size()) - errors.load();
    int64_t p50 = Percentile(all, 0.50);
    int64_t p99 = Percentile(all, 0.99);
    double n = groups ? static_cast<double>(groups.load()) : 1.0;
    std::printf("%8d %10lld %10.0f %9lld %9lld %9lld %10.1f %12.0f %12.0f\n", threads,
                static_cast<long long>(commits), commits / elapsed, static_cast<long long>(p50),
                static_cast<long long>(p99), static_cast<long long>(errors.load()),
                grouped.load() / n, write_us.load() / n, elapsed * 1e6 / n);
    std::fflush(stdout);
  }
}

void RunRestart(const std::string& root, int64_t entries) {
  std::string dir = root + "/restart";
  fs::remove_all(dir);
  constexpr int kFillThreads = 8;
  {
    std::unique_ptr<RocksLedger> ledger = OpenOrDie(dir, /*sync=*/false);
    OpenAccounts(*ledger, kFillThreads);
    std::atomic<int64_t> next{1};  // the account-opening entry is the first
    std::atomic<int64_t> errors{0};
    Clock::time_point start = Clock::now();
    std::vector<std::thread> pool;
    for (int t = 0; t < kFillThreads; ++t) {
      pool.emplace_back([&, t] {
        Transaction tx;
        tx.kind = "inventory.transfer";
        tx.principal = "admin:bench";
        tx.business_date = absl::CivilDay(2024, 6, 1);
        tx.postings = {{absl::StrCat("cu/src/", t), -1'000'000},
                       {absl::StrCat("cu/dst/", t), 1'000'000}};
        tx.writes = {{absl::StrCat("lot/fill/", t), 0, std::string(200, 'x'), false}};
        tx.memo = "benchmark transfer";
        for (int64_t i = next.fetch_add(1); i < entries; i = next.fetch_add(1)) {
          tx.request_id = absl::StrCat("fill-", i);
          absl::StatusOr<Receipt> r = ledger->Commit(tx);
          if (!r.ok()) {
            errors.fetch_add(1);
            continue;
          }
          tx.writes[0].expected_version = r->seq;
        }
      });
    }
    for (auto& th : pool) th.join();
    std::printf(
        "filled %lld entries in %.1f s (sync_writes=false for the fill only), errors=%lld\n",
        static_cast<long long>(ledger->GetHead()->seq),
        std::chrono::duration<double>(Clock::now() - start).count(),
        static_cast<long long>(errors.load()));
  }
  std::vector<double> opens;
  for (int i = 0; i < 3; ++i) {
    Clock::time_point start = Clock::now();
    std::unique_ptr<RocksLedger> ledger = OpenOrDie(dir, true);
    opens.push_back(std::chrono::duration<double>(Clock::now() - start).count());
    std::printf("open %d: %.3f s (head %llu)\n", i + 1, opens.back(),
                static_cast<unsigned long long>(ledger->GetHead()->seq));
  }
  std::sort(opens.begin(), opens.end());
  std::printf("restart with %lld entries: median open %.3f s\n", static_cast<long long>(entries),
              opens[1]);
}

}  // namespace
}  // namespace reserve::ledger

int main(int argc, char** argv) {
  // As in reserved (services/reserved/main.cc): no deadlock bookkeeping on every lock.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  CLI::App app{"RocksLedger benchmark"};
  int seconds = 5;
  std::vector<int> threads = {1, 16, 64};
  std::string dir = (std::filesystem::temp_directory_path() / "ledger-bench").string();
  int64_t restart_entries = 0;
  app.add_option("--seconds", seconds, "seconds per concurrency level")->check(CLI::Range(1, 3600));
  app.add_option("--threads", threads, "comma-separated committer counts")->delimiter(',');
  app.add_option("--dir", dir, "scratch directory (its contents are replaced)");
  app.add_option("--restart-entries", restart_entries,
                 "fill a store with this many entries and time Open instead");
  CLI11_PARSE(app, argc, argv);
  std::filesystem::create_directories(dir);
  if (restart_entries > 0) {
    reserve::ledger::RunRestart(dir, restart_entries);
  } else {
    reserve::ledger::RunThroughput(dir, threads, seconds);
  }
  return 0;
}
