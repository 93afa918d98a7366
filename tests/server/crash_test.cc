// Crash test: a real `reserved serve` under concurrent write load over gRPC is killed with
// SIGKILL at random (seeded) moments and restarted on the same data directory. After each
// restart:
//   - every acknowledged transaction is there: its record exists at version == its receipt
//     seq, and committing the same content again returns the original receipt (replayed);
//   - nothing is partly applied: the units moved between the two accounts equal the number
//     of crash/ records, and every record belongs to a transaction a client sent;
//   - the journal is whole: Verify() is ok, and the head equals the number of entries read
//     back (1 setup entry + 1 per crash/ record);
//   - a transaction that was in flight at the kill is either wholly there or wholly absent,
//     and retrying it (as a client would) replays it or commits it once.
//
// Replay a run: RESERVE_SEED=<seed printed by the test>.
#include <signal.h>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/container/flat_hash_set.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "storage/ledger.h"
#include "tests/server/process.h"
#include "tests/server/server_env.h"

namespace reserve::testing {
namespace {

using ledger::Ledger;
using ledger::Seq;
using ledger::Transaction;

constexpr int kRounds = 10;              // kills (at least 5 asked); about 0.5 s each here
constexpr int kClients = 12;             // concurrent writers, each with its own RemoteLedger
constexpr int kMaxAcksBeforeKill = 500;  // the kill comes after 1..this many acks in a round
// Bound on waiting for the acks before a kill (then we kill anyway): a slow machine must not
// fail the test, only make the kill moment earlier in the load.
constexpr absl::Duration kMaxLoadTime = absl::Seconds(8);
constexpr size_t kReplaysPerRound = 300;  // acknowledged txs re-sent after each restart
constexpr size_t kBatch = ledger::kMaxKeysPerRead;

constexpr char kUnit[] = "unit:crash";
constexpr char kFrom[] = "crash-acct/from";
constexpr char kTo[] = "crash-acct/to";
constexpr char kRecordPrefix[] = "crash/";

Transaction SetupTx() {
  Transaction tx;
  tx.request_id = "crash-setup";
  tx.kind = "test.crash.setup";
  tx.principal = "service:crash-test";
  tx.business_date = absl::CivilDay(2026, 1, 1);
  tx.open_accounts = {{kFrom, kUnit, false}, {kTo, kUnit, false}};
  return tx;
}

// The transaction of request `id`: a record "crash/<id>" and one unit from kFrom to kTo.
Transaction CrashTx(const std::string& id) {
  Transaction tx;
  tx.request_id = id;
  tx.kind = "test.crash";
  tx.principal = "service:crash-test";
  tx.business_date = absl::CivilDay(2026, 1, 2);
  tx.postings = {{kFrom, -1}, {kTo, 1}};
  tx.writes = {{absl::StrCat(kRecordPrefix, id), 0, absl::StrCat("value of ", id), false}};
  return tx;
}

// What the clients learned, across all rounds.
struct Outcomes {
  absl::Mutex mu;
  absl::flat_hash_map<std::string, Seq> acked ABSL_GUARDED_BY(mu);  // request id -> seq
  // Sent, but no OK receipt came back (in flight at the kill): outcome unknown.
  std::vector<std::string> unknown ABSL_GUARDED_BY(mu);
  std::vector<std::string> errors_before_kill ABSL_GUARDED_BY(mu);
};

class CrashTest : public ::testing::Test {
 protected:
  void SetUp() override {
    absl::StatusOr<std::unique_ptr<ScratchDir>> dir = ScratchDir::Create("crash_test");
    ASSERT_TRUE(dir.ok()) << dir.status();
    dir_ = *std::move(dir);
    ASSERT_TRUE(WriteTokensFile(dir_->Sub("tokens")).ok());
  }

  absl::StatusOr<std::unique_ptr<ReservedProcess>> StartServer() {
    ReservedOptions options;
    options.work_dir = dir_->path();
    options.serve_args = {"--services=ledger", absl::StrCat("--data-dir=", dir_->Sub("data")),
                          absl::StrCat("--tokens-file=", dir_->Sub("tokens"))};
    return ReservedProcess::Start(RESERVED_BINARY, options);
  }

  std::unique_ptr<ScratchDir> dir_;
};

// Runs kClients writers against `address` until `stop`; records outcomes.
void RunWriters(const std::string& address, int round, std::atomic<bool>& killed,
                std::atomic<bool>& stop, std::atomic<int>& acks, Outcomes& outcomes) {
  std::vector<std::thread> threads;
  threads.reserve(kClients);
  for (int c = 0; c < kClients; ++c) {
    threads.emplace_back([&, c] {
      absl::StatusOr<std::unique_ptr<Ledger>> ledger = ConnectLedger(address, kServiceToken);
      if (!ledger.ok()) {
        absl::MutexLock lock(&outcomes.mu);
        outcomes.errors_before_kill.push_back(
            absl::StrCat("connect: ", ledger.status().ToString()));
        return;
      }
      for (int n = 0; !stop.load(); ++n) {
        const std::string id = absl::StrCat("r", round, "-c", c, "-", n);
        absl::StatusOr<ledger::Receipt> receipt = (*ledger)->Commit(CrashTx(id));
        absl::MutexLock lock(&outcomes.mu);
        if (receipt.ok()) {
          outcomes.acked[id] = receipt->seq;
          acks.fetch_add(1);
          continue;
        }
        // Read `killed` after the failure: it is set before the signal is sent, so an error
        // seen while it is still false cannot have been caused by the kill.
        outcomes.unknown.push_back(id);
        if (!killed.load()) {
          outcomes.errors_before_kill.push_back(
              absl::StrCat(id, ": ", receipt.status().ToString()));
        }
        return;  // the server is gone (or misbehaving): this writer is done for the round
      }
    });
  }
  for (std::thread& t : threads) {
    t.join();
  }
}

// Reads every crash/ record key in key order.
absl::StatusOr<std::vector<ledger::Record>> ScanAllCrashRecords(Ledger& ledger) {
  std::vector<ledger::Record> out;
  ledger::Page page;
  page.page_size = ledger::kMaxPageSize;
  for (int pages = 0; pages < 1'000'000; ++pages) {
    absl::StatusOr<ledger::RecordPage> result = ledger.ScanRecords(kRecordPrefix, page, {});
    if (!result.ok()) {
      return result.status();
    }
    out.insert(out.end(), result->records.begin(), result->records.end());
    if (result->next_page_token.empty()) {
      return out;
    }
    page.page_token = result->next_page_token;
  }
  return absl::InternalError("scan did not end");
}

// Counts journal entries by reading them all; checks they are numbered 1, 2, 3, ...
absl::StatusOr<Seq> CountJournal(Ledger& ledger) {
  Seq next = 1;
  while (true) {
    absl::StatusOr<std::vector<ledger::JournalEntry>> entries =
        ledger.ReadJournal(next, ledger::kMaxPageSize);
    if (!entries.ok()) {
      return entries.status();
    }
    if (entries->empty()) {
      return next - 1;
    }
    for (const ledger::JournalEntry& entry : *entries) {
      if (entry.seq != next) {
        return absl::DataLossError(
            absl::StrCat("journal entry ", entry.seq, " where ", next, " was expected"));
      }
      ++next;
    }
  }
}

// Checks the state after a restart, before any retry. `round` is for messages only.
void CheckConsistent(Ledger& ledger, Outcomes& outcomes, int round) {
  SCOPED_TRACE(absl::StrCat("after restart ", round));
  absl::MutexLock lock(&outcomes.mu);

  absl::StatusOr<ledger::VerifyReport> report = ledger.Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << "first bad seq " << report->first_bad_seq << ": " << report->problem;

  // Every acknowledged transaction is there, at the version of its receipt.
  std::vector<std::string> keys;
  std::vector<Seq> want;
  for (const auto& [id, seq] : outcomes.acked) {
    keys.push_back(absl::StrCat(kRecordPrefix, id));
    want.push_back(seq);
  }
  for (size_t start = 0; start < keys.size(); start += kBatch) {
    const size_t n = std::min(kBatch, keys.size() - start);
    absl::StatusOr<ledger::RecordSet> set =
        ledger.GetRecords(absl::MakeConstSpan(keys).subspan(start, n), {});
    ASSERT_TRUE(set.ok()) << set.status();
    ASSERT_EQ(set->records.size(), n);
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(set->records[i].version, want[start + i])
          << "acknowledged " << keys[start + i] << " lost or changed";
    }
  }

  // Nothing partly applied: one unit moved per record, and every record was sent by us.
  absl::StatusOr<std::vector<ledger::Record>> records = ScanAllCrashRecords(ledger);
  ASSERT_TRUE(records.ok()) << records.status();
  absl::flat_hash_set<std::string> unknown(outcomes.unknown.begin(), outcomes.unknown.end());
  for (const ledger::Record& record : *records) {
    const std::string id = record.key.substr(strlen(kRecordPrefix));
    EXPECT_TRUE(outcomes.acked.contains(id) || unknown.contains(id))
        << "record " << record.key << " from no transaction a client sent";
    EXPECT_EQ(record.value, absl::StrCat("value of ", id));
  }
  const int64_t count = static_cast<int64_t>(records->size());
  std::vector<std::string> accounts = {kFrom, kTo};
  absl::StatusOr<ledger::BalanceSet> balances = ledger.GetBalances(accounts, {});
  ASSERT_TRUE(balances.ok()) << balances.status();
  ASSERT_EQ(balances->balances.size(), 2u);
  EXPECT_EQ(balances->balances[0].amount, -count);
  EXPECT_EQ(balances->balances[1].amount, count);

  // The head is the number of journal entries: the setup plus one per crash/ record.
  absl::StatusOr<ledger::Head> head = ledger.GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  absl::StatusOr<Seq> entries = CountJournal(ledger);
  ASSERT_TRUE(entries.ok()) << entries.status();
  EXPECT_EQ(head->seq, *entries);
  EXPECT_EQ(head->seq, static_cast<Seq>(count) + 1);
  std::cout << "restart " << round << ": head " << head->seq << ", " << outcomes.acked.size()
            << " acknowledged, " << outcomes.unknown.size() << " in flight at kills" << std::endl;
}

// Re-sends acknowledged transactions (the latest round's, up to kReplaysPerRound): each must
// return its original receipt with replayed = true.
void CheckReplays(Ledger& ledger, const std::vector<std::pair<std::string, Seq>>& sample) {
  for (const auto& [id, seq] : sample) {
    absl::StatusOr<ledger::Receipt> receipt = ledger.Commit(CrashTx(id));
    ASSERT_TRUE(receipt.ok()) << id << ": " << receipt.status();
    EXPECT_TRUE(receipt->replayed) << id;
    EXPECT_EQ(receipt->seq, seq) << id;
  }
}

// Retries every transaction whose outcome was unknown, as a client would: one that made it
// before the kill is replayed at its record's version; one that did not commits now. Either
// way it is then acknowledged.
void RetryUnknown(Ledger& ledger, Outcomes& outcomes) {
  absl::MutexLock lock(&outcomes.mu);
  for (const std::string& id : outcomes.unknown) {
    if (outcomes.acked.contains(id)) {
      continue;  // retried after an earlier restart
    }
    std::vector<std::string> key = {absl::StrCat(kRecordPrefix, id)};
    absl::StatusOr<ledger::RecordSet> before = ledger.GetRecords(key, {});
    ASSERT_TRUE(before.ok()) << before.status();
    const Seq version = before->records.at(0).version;
    absl::StatusOr<ledger::Receipt> receipt = ledger.Commit(CrashTx(id));
    ASSERT_TRUE(receipt.ok()) << id << ": " << receipt.status();
    EXPECT_EQ(receipt->replayed, version != 0) << id;
    if (version != 0) {
      EXPECT_EQ(receipt->seq, version) << id;
    }
    outcomes.acked[id] = receipt->seq;
  }
}

TEST_F(CrashTest, AcknowledgedCommitsSurviveSigkillAndNothingIsPartlyApplied) {
  const uint64_t seed = TestSeed();
  RecordProperty("seed", std::to_string(seed));
  std::mt19937_64 rng(seed);
  Outcomes outcomes;

  {
    absl::StatusOr<std::unique_ptr<ReservedProcess>> server = StartServer();
    ASSERT_TRUE(server.ok()) << server.status();
    absl::StatusOr<std::unique_ptr<Ledger>> ledger =
        ConnectLedger((*server)->address(), kServiceToken);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    absl::StatusOr<ledger::Receipt> setup = (*ledger)->Commit(SetupTx());
    ASSERT_TRUE(setup.ok()) << setup.status();
    ASSERT_EQ(setup->seq, 1u);
  }  // SIGKILLed by the destructor: the first crash is right after the setup

  for (int round = 0; round < kRounds; ++round) {
    SCOPED_TRACE(absl::StrCat("round ", round, ", seed ", seed));
    absl::StatusOr<std::unique_ptr<ReservedProcess>> server = StartServer();
    ASSERT_TRUE(server.ok()) << server.status();
    {
      absl::StatusOr<std::unique_ptr<Ledger>> ledger =
          ConnectLedger((*server)->address(), kServiceToken);
      ASSERT_TRUE(ledger.ok()) << ledger.status();
      ASSERT_NO_FATAL_FAILURE(CheckConsistent(**ledger, outcomes, round));
      std::vector<std::pair<std::string, Seq>> sample;
      {
        absl::MutexLock lock(&outcomes.mu);
        for (const auto& [id, seq] : outcomes.acked) {
          if (sample.size() < kReplaysPerRound &&
              absl::StartsWith(id, absl::StrCat("r", round - 1, "-"))) {
            sample.emplace_back(id, seq);
          }
        }
      }
      ASSERT_NO_FATAL_FAILURE(CheckReplays(**ledger, sample));
      ASSERT_NO_FATAL_FAILURE(RetryUnknown(**ledger, outcomes));
    }

    // Load, then a kill at a random moment in it.
    std::atomic<bool> killed{false};
    std::atomic<bool> stop{false};
    std::atomic<int> acks{0};
    const int acks_before_kill = std::uniform_int_distribution<int>(1, kMaxAcksBeforeKill)(rng);
    const absl::Duration jitter =
        absl::Microseconds(std::uniform_int_distribution<int>(0, 20'000)(rng));
    std::thread load(
        [&] { RunWriters((*server)->address(), round, killed, stop, acks, outcomes); });
    const absl::Time load_deadline = absl::Now() + kMaxLoadTime;
    while (acks.load() < acks_before_kill && absl::Now() < load_deadline) {
      absl::SleepFor(absl::Milliseconds(1));
    }
    absl::SleepFor(jitter);
    killed.store(true);
    absl::StatusOr<ExitInfo> exit = (*server)->Stop(SIGKILL);
    stop.store(true);
    load.join();
    ASSERT_TRUE(exit.ok()) << exit.status();
    EXPECT_EQ(exit->signal, SIGKILL) << exit->ToString() << "\n" << (*server)->StderrTail();
    std::cout << "round " << round << ": killed after " << acks.load() << " acks (target "
              << acks_before_kill << ")" << std::endl;
    absl::MutexLock lock(&outcomes.mu);
    EXPECT_THAT(outcomes.errors_before_kill, ::testing::IsEmpty());
  }

  // The final restart: everything checked once more, every unknown retried.
  absl::StatusOr<std::unique_ptr<ReservedProcess>> server = StartServer();
  ASSERT_TRUE(server.ok()) << server.status();
  absl::StatusOr<std::unique_ptr<Ledger>> ledger =
      ConnectLedger((*server)->address(), kServiceToken);
  ASSERT_TRUE(ledger.ok()) << ledger.status();
  ASSERT_NO_FATAL_FAILURE(CheckConsistent(**ledger, outcomes, kRounds));
  ASSERT_NO_FATAL_FAILURE(RetryUnknown(**ledger, outcomes));
  absl::StatusOr<ledger::Head> head = (*ledger)->GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  absl::MutexLock lock(&outcomes.mu);
  EXPECT_EQ(head->seq, outcomes.acked.size() + 1);
}

}  // namespace
}  // namespace reserve::testing
