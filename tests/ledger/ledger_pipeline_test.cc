// The commit pipeline holds a group that is written to RocksDB but not yet durable (its WAL
// sync is held by a test hook): no read may show it, nobody may be answered for it or for
// anything that depends on it, and a backup waits for it.
#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gtest/gtest.h"
#include "storage/rocks_ledger.h"
#include "tests/ledger/tx_builder.h"

namespace reserve::ledger {
namespace {

namespace fs = std::filesystem;
using testing::TxBuilder;

// Holds every WAL sync while closed; tells when a syncer is waiting at it.
class SyncGate {
 public:
  void Close() {
    absl::MutexLock l(&mu_);
    open_ = false;
  }
  void Open() {
    absl::MutexLock l(&mu_);
    open_ = true;
  }
  void Pass() {
    absl::MutexLock l(&mu_);
    ++waiting_;
    mu_.Await(absl::Condition(&open_));
    --waiting_;
  }
  void AwaitWaiter() {
    absl::MutexLock l(&mu_);
    auto has_waiter = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return waiting_ > 0; };
    mu_.Await(absl::Condition(&has_waiter));
  }

 private:
  absl::Mutex mu_;
  bool open_ ABSL_GUARDED_BY(mu_) = true;
  int waiting_ ABSL_GUARDED_BY(mu_) = 0;
};

class PipelineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = absl::StrCat(::testing::TempDir(), "/pipeline-", ::getpid(), "-",
                         ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(root_);
    RocksLedgerOptions options;
    options.directory = root_ + "/data";
    options.test_before_wal_sync = [this] { gate_.Pass(); };
    absl::StatusOr<std::unique_ptr<RocksLedger>> ledger = RocksLedger::Open(options);
    ASSERT_TRUE(ledger.ok()) << ledger.status();
    ledger_ = *std::move(ledger);
  }
  void TearDown() override {
    gate_.Open();
    ledger_.reset();
    fs::remove_all(root_);
  }

  std::string root_;
  SyncGate gate_;
  std::unique_ptr<RocksLedger> ledger_;
};

TEST_F(PipelineTest, AGroupNotYetDurableIsInvisibleAndUnanswered) {
  ASSERT_TRUE(
      ledger_->Commit(TxBuilder("open").Open("src", "g:CU").Open("dst", "g:CU", true)).ok());
  absl::StatusOr<Receipt> first =
      ledger_->Commit(TxBuilder("first").Post("src", -5).Post("dst", 5).Write("rec", 0, "v1"));
  ASSERT_TRUE(first.ok()) << first.status();
  const Seq before = first->seq;  // 2

  gate_.Close();
  Transaction held_tx = TxBuilder("held")
                            .Open("new-acct", "g:CU")
                            .Post("src", -7)
                            .Post("dst", 7)
                            .Write("rec", before, "v2")
                            .Write("new-rec", 0, "n1")
                            .Date(absl::CivilDay(2024, 1, 10));
  absl::StatusOr<Receipt> held;
  absl::Notification held_done;
  std::thread committer([&] {
    held = ledger_->Commit(held_tx);
    held_done.Notify();
  });
  gate_.AwaitWaiter();  // the group is written; its sync is held

  // A retry of the held transaction, and a transaction built on it, wait for it too.
  absl::StatusOr<Receipt> replay, after;
  absl::Notification replay_done, after_done;
  std::thread replayer([&] {
    replay = ledger_->Commit(held_tx);
    replay_done.Notify();
  });
  std::thread follower([&] {
    after = ledger_->Commit(TxBuilder("after").Write("new-rec", before + 1, "n2"));
    after_done.Notify();
  });

  // Every read still answers as of the durable head.
  EXPECT_EQ(ledger_->GetHead()->seq, before);
  absl::StatusOr<RecordSet> records = ledger_->GetRecords({"rec", "new-rec"}, {});
  ASSERT_TRUE(records.ok()) << records.status();
  EXPECT_EQ(records->as_of_seq, before);
  EXPECT_EQ(records->records[0].value, "v1");
  EXPECT_EQ(records->records[0].version, before);
  EXPECT_EQ(records->records[1].version, 0u);
  absl::StatusOr<RecordPage> scan = ledger_->ScanRecords("", {}, {});
  ASSERT_TRUE(scan.ok()) << scan.status();
  ASSERT_EQ(scan->records.size(), 1u);
  EXPECT_EQ(scan->records[0].key, "rec");
  absl::StatusOr<std::vector<Seq>> versions = ledger_->RecordHistory("rec", {});
  ASSERT_TRUE(versions.ok());
  EXPECT_EQ(*versions, std::vector<Seq>{before});
  absl::StatusOr<BalanceSet> balances = ledger_->GetBalances({"src", "dst", "new-acct"}, {});
  ASSERT_TRUE(balances.ok()) << balances.status();
  EXPECT_EQ(balances->balances[0].amount, -5);
  EXPECT_EQ(balances->balances[1].amount, 5);
  EXPECT_FALSE(balances->balances[2].exists);
  absl::StatusOr<BalancePage> all = ledger_->ScanBalances("", {}, {});
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->balances.size(), 2u);
  absl::StatusOr<BalanceSet> dated =
      ledger_->GetBalancesAsOfDate({"src"}, absl::CivilDay(2024, 12, 31), {});
  ASSERT_TRUE(dated.ok());
  EXPECT_EQ(dated->balances[0].amount, -5);
  absl::StatusOr<MovementPage> moves = ledger_->AccountHistory("src", {}, {});
  ASSERT_TRUE(moves.ok());
  EXPECT_EQ(moves->movements.size(), 1u);
  absl::StatusOr<std::vector<JournalEntry>> journal = ledger_->ReadJournal(before + 1, 10);
  ASSERT_TRUE(journal.ok());
  EXPECT_TRUE(journal->empty());
  EXPECT_EQ(ledger_->GetRecords({"rec"}, ReadOptions{before + 1}).status().code(),
            absl::StatusCode::kInvalidArgument);
  absl::StatusOr<VerifyReport> report = ledger_->Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, before);
  EXPECT_EQ(report->accounts_checked, 2u);

  // A backup taken now holds the written group, so it waits until that group is durable.
  absl::StatusOr<Head> backup;
  std::atomic<bool> backup_done{false};
  std::thread backer([&] {
    backup = ledger_->Backup(root_ + "/backup");
    backup_done = true;
  });
  absl::SleepFor(absl::Milliseconds(50));
  EXPECT_FALSE(held_done.HasBeenNotified());
  EXPECT_FALSE(replay_done.HasBeenNotified());
  EXPECT_FALSE(after_done.HasBeenNotified());
  EXPECT_FALSE(backup_done.load());

  gate_.Open();
  committer.join();
  replayer.join();
  follower.join();
  backer.join();
  ASSERT_TRUE(held.ok()) << held.status();
  EXPECT_EQ(held->seq, before + 1);
  ASSERT_TRUE(replay.ok()) << replay.status();
  EXPECT_TRUE(replay->replayed);
  EXPECT_EQ(replay->seq, held->seq);
  ASSERT_TRUE(after.ok()) << after.status();
  ASSERT_TRUE(backup.ok()) << backup.status();
  EXPECT_GE(backup->seq, held->seq);
  EXPECT_LE(backup->seq, ledger_->GetHead()->seq);

  records = ledger_->GetRecords({"rec", "new-rec"}, {});
  ASSERT_TRUE(records.ok());
  EXPECT_EQ(records->records[0].value, "v2");
  EXPECT_EQ(records->records[1].value, "n2");
  report = ledger_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, after->seq);
  EXPECT_EQ(report->accounts_checked, 3u);
}

// Many committers while syncs are held and released at random points: every answer is a
// durable head's, and the ledger verifies at the end.
TEST_F(PipelineTest, ConcurrentCommitsWithHeldSyncsStayConsistent) {
  constexpr int kThreads = 16;
  constexpr int kPerThread = 60;
  TxBuilder open("open");
  for (int t = 0; t < kThreads; ++t) {
    open.Open(absl::StrCat("a/", t), "g:CU").Open(absl::StrCat("b/", t), "g:CU");
  }
  ASSERT_TRUE(ledger_->Commit(open).ok());
  std::atomic<bool> stop{false};
  std::thread toggler([&] {
    while (!stop) {
      gate_.Close();
      absl::SleepFor(absl::Milliseconds(2));
      gate_.Open();
      absl::SleepFor(absl::Milliseconds(1));
    }
  });
  std::atomic<int> failures{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; ++t) {
    pool.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<Receipt> r = ledger_->Commit(TxBuilder(absl::StrCat(t, "-", i))
                                                        .Post(absl::StrCat("a/", t), -1)
                                                        .Post(absl::StrCat("b/", t), 1));
        // Answered only once durable, so the published head already covers it.
        if (!r.ok() || ledger_->GetHead()->seq < r->seq) failures.fetch_add(1);
        absl::StatusOr<BalanceSet> b = ledger_->GetBalances({absl::StrCat("a/", t)}, {});
        if (!b.ok() || b->balances[0].amount > -(i + 1)) failures.fetch_add(1);
      }
    });
  }
  for (std::thread& th : pool) th.join();
  stop = true;
  toggler.join();
  gate_.Open();
  EXPECT_EQ(failures.load(), 0);
  absl::StatusOr<VerifyReport> report = ledger_->Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, 1u + kThreads * kPerThread);
}

}  // namespace
}  // namespace reserve::ledger
