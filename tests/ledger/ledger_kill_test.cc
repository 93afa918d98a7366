// The commit pipeline under SIGKILL: a child process commits from several threads and
// reports every acknowledged commit through a pipe; the parent kills it at a random point
// and a fresh process reopens the store and checks that every acknowledged commit is
// there, in its place, and that the store verifies. Several rounds on one store.
//
// The parent never opens RocksDB itself (its background threads must not be forked): the
// committer and the checker both run in forked children. A SIGKILL leaves the page cache
// intact, so this exercises ordering, acknowledgement and recovery, not the disk flush;
// that the WAL record reaches the OS before db->Write returns - what the syncers rely on -
// is checked below it.
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "gtest/gtest.h"
#include "rocksdb/db.h"
#include "rocksdb/transaction_log.h"
#include "storage/rocks_ledger.h"
#include "tests/ledger/tx_builder.h"

namespace reserve::ledger {
namespace {

namespace fs = std::filesystem;
using testing::TxBuilder;

constexpr int kCommitters = 8;
constexpr int kRounds = 4;

// One acknowledged commit, as the child reports it (fixed size: a pipe write of at most
// PIPE_BUF bytes is atomic).
struct Ack {
  uint64_t seq;
  int32_t thread;
  int32_t round;
  uint64_t index;
};

std::string RequestId(int round, int thread, uint64_t index) {
  return absl::StrCat("r", round, "-t", thread, "-", index);
}

uint32_t Seed() {
  const char* env = std::getenv("RESERVE_SEED");
  uint32_t seed = 0;
  if (env == nullptr || !absl::SimpleAtoi(env, &seed)) seed = std::random_device()();
  std::printf("RESERVE_SEED=%u\n", seed);
  return seed;
}

// Child: commits until killed; never returns.
[[noreturn]] void CommitUntilKilled(const std::string& dir, int round, int out_fd) {
  RocksLedgerOptions options;
  options.directory = dir;
  absl::StatusOr<std::unique_ptr<RocksLedger>> ledger = RocksLedger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "child open: %s\n", ledger.status().ToString().c_str());
    _exit(3);
  }
  if (round == 0) {
    TxBuilder open("open");
    for (int t = 0; t < kCommitters; ++t) {
      open.Open(absl::StrCat("src/", t), "g:CU").Open(absl::StrCat("dst/", t), "g:CU", true);
    }
    absl::StatusOr<Receipt> r = (*ledger)->Commit(open);
    if (!r.ok()) _exit(4);
  }
  std::vector<std::thread> pool;
  for (int t = 0; t < kCommitters; ++t) {
    pool.emplace_back([&, t] {
      std::string key = absl::StrCat("rec/", t);
      absl::StatusOr<RecordSet> current = (*ledger)->GetRecords({key}, ReadOptions{});
      if (!current.ok()) _exit(5);
      uint64_t version = current->records[0].version;
      for (uint64_t i = 0;; ++i) {
        absl::StatusOr<Receipt> r =
            (*ledger)->Commit(TxBuilder(RequestId(round, t, i))
                                  .Post(absl::StrCat("src/", t), -1)
                                  .Post(absl::StrCat("dst/", t), 1)
                                  .Write(key, version, absl::StrCat(round, "/", i)));
        if (!r.ok()) {
          std::fprintf(stderr, "child commit: %s\n", r.status().ToString().c_str());
          _exit(6);
        }
        version = r->seq;
        Ack ack{r->seq, t, round, i};
        if (::write(out_fd, &ack, sizeof ack) != sizeof ack) _exit(7);
      }
    });
  }
  for (std::thread& t : pool) t.join();
  _exit(8);
}

// Child: reopens the store and checks every acknowledged commit; exit code 0 when all hold.
[[noreturn]] void CheckAcks(const std::string& dir, const std::vector<Ack>& acks) {
  RocksLedgerOptions options;
  options.directory = dir;
  absl::StatusOr<std::unique_ptr<RocksLedger>> ledger = RocksLedger::Open(options);
  if (!ledger.ok()) {
    std::fprintf(stderr, "reopen: %s\n", ledger.status().ToString().c_str());
    _exit(10);
  }
  Head head = *(*ledger)->GetHead();
  std::vector<uint64_t> last_version(kCommitters, 0);
  for (const Ack& ack : acks) {
    if (ack.seq > head.seq) {
      std::fprintf(stderr, "acknowledged seq %llu is above the reopened head %llu\n",
                   static_cast<unsigned long long>(ack.seq),
                   static_cast<unsigned long long>(head.seq));
      _exit(11);
    }
    absl::StatusOr<std::vector<JournalEntry>> e = (*ledger)->ReadJournal(ack.seq, 1);
    std::string want = RequestId(ack.round, ack.thread, ack.index);
    if (!e.ok() || e->size() != 1 || (*e)[0].tx.request_id != want) {
      std::fprintf(stderr, "acknowledged %s at seq %llu is missing after the kill\n", want.c_str(),
                   static_cast<unsigned long long>(ack.seq));
      _exit(12);
    }
    last_version[ack.thread] = std::max<uint64_t>(last_version[ack.thread], ack.seq);
  }
  for (int t = 0; t < kCommitters; ++t) {
    absl::StatusOr<RecordSet> r = (*ledger)->GetRecords({absl::StrCat("rec/", t)}, ReadOptions{});
    if (!r.ok() || r->records[0].version < last_version[t]) {
      std::fprintf(stderr, "record of committer %d is older than its last acknowledged write\n", t);
      _exit(13);
    }
  }
  absl::StatusOr<VerifyReport> report = (*ledger)->Verify();
  if (!report.ok() || !report->ok || report->entries_checked != head.seq) {
    std::fprintf(stderr, "verify: %s\n",
                 report.ok() ? report->problem.c_str() : report.status().ToString().c_str());
    _exit(14);
  }
  std::printf("reopened at head %llu with %zu acknowledged commits present\n",
              static_cast<unsigned long long>(head.seq), acks.size());
  std::fflush(stdout);
  _exit(0);
}

int WaitExitCode(pid_t pid) {
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

TEST(LedgerKillTest, EveryAcknowledgedCommitSurvivesSigkill) {
  std::mt19937 rng(Seed());
  std::string root = absl::StrCat(::testing::TempDir(), "/ledger-kill-", ::getpid());
  fs::remove_all(root);
  std::string dir = root + "/data";
  std::vector<Ack> acks;  // over all rounds
  for (int round = 0; round < kRounds; ++round) {
    int fds[2];
    ASSERT_EQ(::pipe(fds), 0);
    std::fflush(nullptr);
    pid_t child = ::fork();
    ASSERT_GE(child, 0);
    if (child == 0) {
      ::close(fds[0]);
      CommitUntilKilled(dir, round, fds[1]);
    }
    ::close(fds[1]);
    // Kill after a random number of acknowledgements, mid-stream.
    const size_t kill_after = std::uniform_int_distribution<size_t>(1, 600)(rng);
    size_t seen = 0;
    bool killed = false;
    Ack ack;
    for (;;) {
      ssize_t n = ::read(fds[0], &ack, sizeof ack);
      if (n == 0) break;  // the child is gone
      ASSERT_EQ(n, static_cast<ssize_t>(sizeof ack));
      acks.push_back(ack);
      if (++seen == kill_after && !killed) {
        ::kill(child, SIGKILL);
        killed = true;
      }
    }
    ::close(fds[0]);
    int code = WaitExitCode(child);
    ASSERT_EQ(code, -SIGKILL) << "the committing child failed on its own (exit " << code << ")";
    std::printf("round %d: killed after %zu acknowledgements (%zu read in all)\n", round,
                kill_after, seen);

    std::fflush(nullptr);
    pid_t checker = ::fork();
    ASSERT_GE(checker, 0);
    if (checker == 0) CheckAcks(dir, acks);
    ASSERT_EQ(WaitExitCode(checker), 0) << "an acknowledged commit did not survive round " << round;
  }
  fs::remove_all(root);
}

// What the syncers rely on: with manual_wal_flush = false, RocksDB 7.8 hands each WAL
// record to the OS (write(2)) before a Write(sync = false) returns, so an fdatasync of the
// WAL file through another descriptor, begun after that, covers it.
TEST(LedgerKillTest, UnsyncedWriteReachesTheWalFileBeforeWriteReturns) {
  std::string dir = absl::StrCat(::testing::TempDir(), "/ledger-walflush-", ::getpid());
  fs::remove_all(dir);
  rocksdb::Options options;
  options.create_if_missing = true;
  options.manual_wal_flush = false;
  rocksdb::DB* raw = nullptr;
  ASSERT_TRUE(rocksdb::DB::Open(options, dir, &raw).ok());
  std::unique_ptr<rocksdb::DB> db(raw);
  for (int i = 0; i < 20; ++i) {
    std::unique_ptr<rocksdb::LogFile> wal;
    ASSERT_TRUE(db->GetCurrentWalFile(&wal).ok());
    std::string path = dir + wal->PathName();
    struct stat before;
    ASSERT_EQ(::stat(path.c_str(), &before), 0) << path;
    std::string value = absl::StrCat("value-", i, "-", std::string(100 + i, 'v'));
    rocksdb::WriteOptions wo;
    wo.sync = false;
    ASSERT_TRUE(db->Put(wo, absl::StrCat("key-", i), value).ok());
    struct stat after;
    ASSERT_EQ(::stat(path.c_str(), &after), 0);
    EXPECT_GE(after.st_size, before.st_size + static_cast<off_t>(value.size()));
    // And the bytes are readable through a descriptor of our own.
    int fd = ::open(path.c_str(), O_RDONLY);
    ASSERT_GE(fd, 0);
    std::string contents(after.st_size, '\0');
    ASSERT_EQ(::pread(fd, contents.data(), contents.size(), 0),
              static_cast<ssize_t>(contents.size()));
    EXPECT_NE(contents.find(value), std::string::npos);
    EXPECT_EQ(::fdatasync(fd), 0);
    ::close(fd);
  }
  db.reset();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace reserve::ledger
