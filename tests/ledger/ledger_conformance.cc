#include "tests/ledger/ledger_conformance.h"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <functional>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gtest/gtest.h"
#include "storage/errors.h"
#include "tests/ledger/tx_builder.h"

namespace reserve::ledger::testing {

LedgerHarness::~LedgerHarness() = default;

void LedgerConformanceTest::SetUp() {
  harness_ = GetParam().make();
  ASSERT_NE(harness_, nullptr);
}

void LedgerConformanceTest::TearDown() { harness_.reset(); }

namespace {

using ::absl::StatusCode;

// A unique path under the test temp dir that does not exist yet.
std::string FreshPath(absl::string_view tag) {
  static std::atomic<int> counter{0};
  return absl::StrCat(::testing::TempDir(), "/conformance-", tag, "-", ::getpid(), "-",
                      counter.fetch_add(1));
}

Seq HeadSeq(Ledger& ledger) {
  absl::StatusOr<Head> head = ledger.GetHead();
  EXPECT_TRUE(head.ok()) << head.status();
  return head.ok() ? head->seq : 0;
}

Balance BalanceOf(Ledger& ledger, const std::string& account, Seq at = 0) {
  std::vector<std::string> ids = {account};
  absl::StatusOr<BalanceSet> set = ledger.GetBalances(ids, ReadOptions{at});
  EXPECT_TRUE(set.ok()) << set.status();
  if (!set.ok() || set->balances.size() != 1) return Balance{};
  return set->balances[0];
}

Record RecordOf(Ledger& ledger, const std::string& key, Seq at = 0) {
  std::vector<std::string> keys = {key};
  absl::StatusOr<RecordSet> set = ledger.GetRecords(keys, ReadOptions{at});
  EXPECT_TRUE(set.ok()) << set.status();
  if (!set.ok() || set->records.size() != 1) return Record{};
  return set->records[0];
}

// Opens a guarded copper account "depot", an unguarded "source", and CNY accounts.
Receipt OpenAccounts(Ledger& ledger) {
  absl::StatusOr<Receipt> r = ledger.Commit(TxBuilder("setup")
                                                .Open("source", "g:CU")
                                                .Open("depot", "g:CU", true)
                                                .Open("budget", "CNY")
                                                .Open("spent", "CNY", true)
                                                .Post("source", -1000)
                                                .Post("depot", 1000));
  EXPECT_TRUE(r.ok()) << r.status();
  return r.ok() ? *r : Receipt{};
}

void ExpectReason(const absl::Status& s, StatusCode code, absl::string_view reason) {
  EXPECT_EQ(s.code(), code) << s;
  EXPECT_EQ(ReasonOf(s).value_or("<none>"), reason) << s;
}

void ExpectField(const absl::Status& s, absl::string_view field) {
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << s;
  EXPECT_EQ(FieldOf(s).value_or("<none>"), field) << s;
}

// ---------------------------------------------------------------- commit and journal

TEST_P(LedgerConformanceTest, EmptyLedgerHasZeroHead) {
  absl::StatusOr<Head> head = ledger().GetHead();
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->seq, 0u);
  EXPECT_EQ(head->hash, std::string(32, '\0'));
  absl::StatusOr<std::vector<JournalEntry>> j = ledger().ReadJournal(1, 10);
  ASSERT_TRUE(j.ok()) << j.status();
  EXPECT_TRUE(j->empty());
}

TEST_P(LedgerConformanceTest, CommitsGetGapFreeSeqsAndChainedHashes) {
  OpenAccounts(ledger());
  absl::StatusOr<Receipt> a = ledger().Commit(TxBuilder("a").Post("depot", -10).Post("source", 10));
  absl::StatusOr<Receipt> b = ledger().Commit(TxBuilder("b").Write("lot/1", 0, "v1"));
  ASSERT_TRUE(a.ok()) << a.status();
  ASSERT_TRUE(b.ok()) << b.status();
  EXPECT_EQ(a->seq, 2u);
  EXPECT_EQ(b->seq, 3u);
  EXPECT_FALSE(a->replayed);
  EXPECT_EQ(a->hash.size(), 32u);
  EXPECT_NE(a->hash, b->hash);
  EXPECT_GT(b->committed_at_ms, 0);
  EXPECT_GE(b->committed_at_ms, a->committed_at_ms);
  absl::StatusOr<Head> head = ledger().GetHead();
  ASSERT_TRUE(head.ok());
  EXPECT_EQ(head->seq, 3u);
  EXPECT_EQ(head->hash, b->hash);
  absl::StatusOr<std::vector<JournalEntry>> j = ledger().ReadJournal(1, 10);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->size(), 3u);
  EXPECT_EQ((*j)[0].prev_hash, std::string(32, '\0'));
  for (size_t i = 0; i < j->size(); ++i) {
    EXPECT_EQ((*j)[i].seq, i + 1);
    if (i > 0) {
      EXPECT_EQ((*j)[i].prev_hash, (*j)[i - 1].hash);
    }
  }
  EXPECT_EQ((*j)[1].hash, a->hash);
  EXPECT_EQ((*j)[1].committed_at_ms, a->committed_at_ms);
}

TEST_P(LedgerConformanceTest, JournalEntryCarriesTheWholeTransaction) {
  OpenAccounts(ledger());
  Transaction tx = TxBuilder("full")
                       .Kind("inventory.acquire")
                       .Date(absl::CivilDay(2021, 7, 5))
                       .Open("new", "g:AL", false)
                       .Open("new2", "g:AL", true)
                       .Post("new", -7)
                       .Post("new2", 7)
                       .Write("lot/9", 0, std::string("bin\0ary", 7))
                       .Check("lot/absent", 0)
                       .Memo("memo text\nline 2");
  absl::StatusOr<Receipt> r = ledger().Commit(tx);
  ASSERT_TRUE(r.ok()) << r.status();
  absl::StatusOr<std::vector<JournalEntry>> j = ledger().ReadJournal(r->seq, 1);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->size(), 1u);
  EXPECT_EQ((*j)[0].tx, tx);
  EXPECT_EQ((*j)[0].hash, r->hash);
}

TEST_P(LedgerConformanceTest, CommitMovesBalances) {
  OpenAccounts(ledger());
  ASSERT_TRUE(ledger().Commit(TxBuilder("m").Post("depot", -300).Post("source", 300)).ok());
  Balance depot = BalanceOf(ledger(), "depot");
  EXPECT_TRUE(depot.exists);
  EXPECT_EQ(depot.amount, 700);
  EXPECT_EQ(depot.unit, "g:CU");
  EXPECT_TRUE(depot.non_negative);
  EXPECT_EQ(depot.last_seq, 2u);
  EXPECT_EQ(BalanceOf(ledger(), "source").amount, -700);
  Balance budget = BalanceOf(ledger(), "budget");
  EXPECT_TRUE(budget.exists);
  EXPECT_EQ(budget.amount, 0);
  EXPECT_EQ(budget.last_seq, 0u);
  Balance unknown = BalanceOf(ledger(), "nope");
  EXPECT_FALSE(unknown.exists);
  EXPECT_EQ(unknown.account, "nope");
}

TEST_P(LedgerConformanceTest, IdempotentRetryReturnsTheOriginalReceipt) {
  OpenAccounts(ledger());
  Transaction tx = TxBuilder("pay-1").Post("depot", -5).Post("source", 5);
  absl::StatusOr<Receipt> first = ledger().Commit(tx);
  absl::StatusOr<Receipt> again = ledger().Commit(tx);
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_FALSE(first->replayed);
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->hash, first->hash);
  EXPECT_EQ(again->committed_at_ms, first->committed_at_ms);
  EXPECT_EQ(HeadSeq(ledger()), first->seq);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 995);
}

TEST_P(LedgerConformanceTest, RequestIdReusedWithOtherContentIsAlreadyExists) {
  OpenAccounts(ledger());
  ASSERT_TRUE(ledger().Commit(TxBuilder("pay-1").Post("depot", -5).Post("source", 5)).ok());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r =
      ledger().Commit(TxBuilder("pay-1").Post("depot", -6).Post("source", 6));
  ExpectReason(r.status(), StatusCode::kAlreadyExists, reason::kRequestIdReused);
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 995);
}

TEST_P(LedgerConformanceTest, RejectedRequestIdIsNotConsumed) {
  OpenAccounts(ledger());
  absl::StatusOr<Receipt> bad =
      ledger().Commit(TxBuilder("retry").Post("depot", -5000).Post("source", 5000));
  ExpectReason(bad.status(), StatusCode::kFailedPrecondition, reason::kInsufficientBalance);
  absl::StatusOr<Receipt> good =
      ledger().Commit(TxBuilder("retry").Post("depot", -50).Post("source", 50));
  ASSERT_TRUE(good.ok()) << good.status();
  EXPECT_FALSE(good->replayed);
}

// ---------------------------------------------------------------- business rejections

TEST_P(LedgerConformanceTest, UnbalancedIsRejected) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r = ledger().Commit(TxBuilder("u").Post("depot", -5).Post("source", 4));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kUnbalanced);
  // Balanced in total but not per unit.
  r = ledger().Commit(TxBuilder("u2").Post("source", 5).Post("budget", -5));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kUnbalanced);
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 1000);
}

TEST_P(LedgerConformanceTest, UnknownAccountIsRejected) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r = ledger().Commit(TxBuilder("x").Post("ghost", 5).Post("source", -5));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kUnknownAccount);
  EXPECT_NE(r.status().message().find("ghost"), absl::string_view::npos) << r.status();
  EXPECT_EQ(HeadSeq(ledger()), head);
}

TEST_P(LedgerConformanceTest, ReopeningAnAccountDifferentlyIsAccountExists) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  ExpectReason(ledger().Commit(TxBuilder("x").Open("depot", "g:AL", true)).status(),
               StatusCode::kFailedPrecondition, reason::kAccountExists);
  ExpectReason(ledger().Commit(TxBuilder("y").Open("depot", "g:CU", false)).status(),
               StatusCode::kFailedPrecondition, reason::kAccountExists);
  EXPECT_EQ(HeadSeq(ledger()), head);
  // The same spec again is a no-op that still commits.
  absl::StatusOr<Receipt> same = ledger().Commit(TxBuilder("z").Open("depot", "g:CU", true));
  ASSERT_TRUE(same.ok()) << same.status();
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 1000);
}

TEST_P(LedgerConformanceTest, GuardedAccountCannotGoNegative) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r =
      ledger().Commit(TxBuilder("over").Post("depot", -1001).Post("source", 1001));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kInsufficientBalance);
  EXPECT_NE(r.status().message().find("depot"), absl::string_view::npos) << r.status();
  EXPECT_EQ(HeadSeq(ledger()), head);
  // Exactly to zero is fine; an unguarded account may go negative.
  ASSERT_TRUE(ledger().Commit(TxBuilder("zero").Post("depot", -1000).Post("source", 1000)).ok());
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 0);
  EXPECT_EQ(BalanceOf(ledger(), "source").amount, 0);
  ASSERT_TRUE(ledger().Commit(TxBuilder("neg").Post("budget", -10).Post("spent", 10)).ok());
  EXPECT_EQ(BalanceOf(ledger(), "budget").amount, -10);
}

TEST_P(LedgerConformanceTest, OverflowIsRejected) {
  OpenAccounts(ledger());
  const int64_t max = std::numeric_limits<int64_t>::max();
  ASSERT_TRUE(ledger().Commit(TxBuilder("big").Post("spent", max).Post("budget", -max)).ok());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r =
      ledger().Commit(TxBuilder("more").Post("spent", 1).Post("budget", -1));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kOverflow);
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_EQ(BalanceOf(ledger(), "spent").amount, max);
}

TEST_P(LedgerConformanceTest, StaleVersionIsAborted) {
  absl::StatusOr<Receipt> created = ledger().Commit(TxBuilder("c").Write("lot/1", 0, "v1"));
  ASSERT_TRUE(created.ok()) << created.status();
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r = ledger().Commit(TxBuilder("again").Write("lot/1", 0, "v2"));
  ExpectReason(r.status(), StatusCode::kAborted, reason::kVersionConflict);
  EXPECT_NE(r.status().message().find("lot/1"), absl::string_view::npos) << r.status();
  r = ledger().Commit(TxBuilder("stale").Write("lot/1", created->seq + 7, "v2"));
  ExpectReason(r.status(), StatusCode::kAborted, reason::kVersionConflict);
  r = ledger().Commit(TxBuilder("chk").Check("lot/1", 0).Write("lot/2", 0, "x"));
  ExpectReason(r.status(), StatusCode::kAborted, reason::kVersionConflict);
  r = ledger().Commit(TxBuilder("chk2").Check("lot/missing", 3));
  ExpectReason(r.status(), StatusCode::kAborted, reason::kVersionConflict);
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_EQ(RecordOf(ledger(), "lot/2").version, 0u);
  absl::StatusOr<Receipt> ok =
      ledger().Commit(TxBuilder("good").Check("lot/1", created->seq).Write("lot/2", 0, "x"));
  ASSERT_TRUE(ok.ok()) << ok.status();
}

TEST_P(LedgerConformanceTest, RejectedTransactionWritesNothing) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  absl::StatusOr<Receipt> r = ledger().Commit(TxBuilder("mixed")
                                                  .Open("fresh", "g:CU")
                                                  .Write("lot/7", 0, "v")
                                                  .Post("fresh", 5)
                                                  .Post("depot", -5000)
                                                  .Post("source", 4995));
  ExpectReason(r.status(), StatusCode::kFailedPrecondition, reason::kInsufficientBalance);
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_FALSE(BalanceOf(ledger(), "fresh").exists);
  EXPECT_EQ(RecordOf(ledger(), "lot/7").version, 0u);
  absl::StatusOr<std::vector<Seq>> history = ledger().RecordHistory("lot/7", {});
  ASSERT_TRUE(history.ok());
  EXPECT_TRUE(history->empty());
}

// ---------------------------------------------------------------- malformed input

struct Malformed {
  std::string field;
  std::function<void(Transaction&)> mutate;
};

TEST_P(LedgerConformanceTest, MalformedTransactionsNameTheField) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  std::vector<Malformed> cases = {
      {"request_id", [](Transaction& t) { t.request_id.clear(); }},
      {"request_id", [](Transaction& t) { t.request_id = std::string(kMaxIdBytes + 1, 'r'); }},
      {"request_id", [](Transaction& t) { t.request_id = "bad\nid"; }},
      {"request_id", [](Transaction& t) { t.request_id = "bad\xff"; }},
      {"kind", [](Transaction& t) { t.kind.clear(); }},
      {"principal", [](Transaction& t) { t.principal.clear(); }},
      {"business_date", [](Transaction& t) { t.business_date = absl::CivilDay(1899, 12, 31); }},
      {"business_date", [](Transaction& t) { t.business_date = absl::CivilDay(2200, 1, 1); }},
      {"postings[1].amount", [](Transaction& t) { t.postings[1].amount = 0; }},
      {"postings[0].account", [](Transaction& t) { t.postings[0].account.clear(); }},
      {"postings[0].account",
       [](Transaction& t) { t.postings[0].account = std::string("a\0b", 3); }},
      {"open_accounts[0].unit",
       [](Transaction& t) {
         t.open_accounts.push_back({"n", "", false});
       }},
      {"open_accounts[1].id",
       [](Transaction& t) {
         t.open_accounts.push_back({"n", "g:CU", false});
         t.open_accounts.push_back({"n", "g:CU", false});
       }},
      {"writes[1].key",
       [](Transaction& t) {
         t.writes.push_back({"k", 0, "a", false});
         t.writes.push_back({"k", 0, "b", false});
       }},
      {"writes[0].key",
       [](Transaction& t) {
         t.writes.push_back({std::string("k\0", 2), 0, "a", false});
       }},
      {"checks[0].key",
       [](Transaction& t) {
         t.writes.push_back({"k", 0, "a", false});
         t.checks.push_back({"k", 0});
       }},
      {"writes[0].value",
       [](Transaction& t) {
         t.writes.push_back({"k", 3, "not empty", true});
       }},
      {"writes[0].expected_version",
       [](Transaction& t) {
         t.writes.push_back({"k", 0, "", true});
       }},
      {"writes[0].value",
       [](Transaction& t) {
         t.writes.push_back({"k", 0, std::string(kMaxRecordBytes + 1, 'x'), false});
       }},
      {"memo", [](Transaction& t) { t.memo = std::string(kMaxMemoBytes + 1, 'm'); }},
      {"postings",
       [](Transaction& t) {
         t.postings.assign(kMaxPostings + 1, Posting{"depot", 1});
       }},
      {"transaction",
       [](Transaction& t) {
         for (int i = 0; i < 130; ++i) {
           t.writes.push_back(
               {absl::StrCat("big/", i), 0, std::string(kMaxRecordBytes, 'v'), false});
         }
       }},
  };
  for (size_t i = 0; i < cases.size(); ++i) {
    SCOPED_TRACE(absl::StrCat("case ", i, " field ", cases[i].field));
    Transaction tx = TxBuilder(absl::StrCat("bad-", i)).Post("depot", -1).Post("source", 1);
    cases[i].mutate(tx);
    absl::StatusOr<Receipt> r = ledger().Commit(tx);
    ExpectField(r.status(), cases[i].field);
  }
  EXPECT_EQ(HeadSeq(ledger()), head);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 1000);
}

TEST_P(LedgerConformanceTest, BadReadArgumentsNameTheField) {
  OpenAccounts(ledger());
  Seq head = HeadSeq(ledger());
  std::vector<std::string> keys = {"k"};
  ExpectField(ledger().GetRecords(keys, ReadOptions{head + 1}).status(), "at_seq");
  ExpectField(ledger().GetBalances(keys, ReadOptions{head + 1}).status(), "at_seq");
  ExpectField(ledger().RecordHistory("k", ReadOptions{head + 1}).status(), "at_seq");
  ExpectField(ledger()
                  .GetBalancesAsOfDate(keys, absl::CivilDay(2024, 1, 1), ReadOptions{head + 1})
                  .status(),
              "at_seq");
  ExpectField(ledger().ScanRecords("", Page{10, ""}, ReadOptions{head + 1}).status(), "at_seq");
  ExpectField(ledger().ScanBalances("", Page{0, ""}, {}).status(), "page_size");
  ExpectField(ledger().ScanRecords("", Page{kMaxPageSize + 1, ""}, {}).status(), "page_size");
  ExpectField(ledger().ScanRecords("", Page{10, "garbage!"}, {}).status(), "page_token");
  ExpectField(ledger().ScanRecords("", Page{10, "00ff"}, {}).status(), "page_token");
  ExpectField(ledger().ScanBalances("", Page{10, "abcdef0123"}, {}).status(), "page_token");
  ExpectField(ledger().AccountHistory("depot", Page{10, "zz"}, {}).status(), "page_token");
  ExpectField(ledger().ReadJournal(0, 10).status(), "from_seq");
  ExpectField(ledger().ReadJournal(1, 0).status(), "max_entries");
  ExpectField(ledger().ReadJournal(1, kMaxPageSize + 1).status(), "max_entries");
  std::vector<std::string> too_many(kMaxKeysPerRead + 1, "k");
  ExpectField(ledger().GetRecords(too_many, {}).status(), "keys");
  ExpectField(ledger().GetBalances(too_many, {}).status(), "accounts");
  // Ids no write could have made are refused, not read as absent (and over the wire a
  // string that is not UTF-8 could not even be sent).
  std::vector<std::string> bad = {"k", "bad\xff"};
  ExpectField(ledger().GetRecords(bad, {}).status(), "keys[1]");
  ExpectField(ledger().GetBalances(bad, {}).status(), "accounts[1]");
  ExpectField(ledger().GetBalancesAsOfDate(bad, absl::CivilDay(2024, 1, 1), {}).status(),
              "accounts[1]");
  ExpectField(ledger().RecordHistory("", {}).status(), "key");
  ExpectField(ledger().RecordHistory("a\nb", {}).status(), "key");
  ExpectField(ledger().ScanRecords("bad\xff", Page{10, ""}, {}).status(), "prefix");
  ExpectField(ledger().ScanBalances("a\tb", Page{10, ""}, {}).status(), "prefix");
  ExpectField(
      ledger().AccountHistory(std::string(kMaxIdBytes + 1, 'a'), Page{10, ""}, {}).status(),
      "account");
  EXPECT_EQ(HeadSeq(ledger()), head);
}

TEST_P(LedgerConformanceTest, PageTokenFromAnotherScanIsRejected) {
  OpenAccounts(ledger());
  absl::StatusOr<BalancePage> page = ledger().ScanBalances("", Page{1, ""}, {});
  ASSERT_TRUE(page.ok()) << page.status();
  ASSERT_FALSE(page->next_page_token.empty());
  ExpectField(ledger().ScanRecords("", Page{1, page->next_page_token}, {}).status(), "page_token");
  ExpectField(ledger().ScanBalances("zzz", Page{1, page->next_page_token}, {}).status(),
              "page_token");
}

// ---------------------------------------------------------------- reads

TEST_P(LedgerConformanceTest, RecordLifecycleAndVersions) {
  absl::StatusOr<Receipt> c = ledger().Commit(TxBuilder("c").Write("lot/1", 0, "v1"));
  ASSERT_TRUE(c.ok()) << c.status();
  Record r = RecordOf(ledger(), "lot/1");
  EXPECT_EQ(r.version, c->seq);
  EXPECT_EQ(r.value, "v1");
  EXPECT_EQ(r.key, "lot/1");
  absl::StatusOr<Receipt> u = ledger().Commit(TxBuilder("u").Write("lot/1", c->seq, "v2"));
  ASSERT_TRUE(u.ok()) << u.status();
  absl::StatusOr<Receipt> e = ledger().Commit(TxBuilder("e").Erase("lot/1", u->seq));
  ASSERT_TRUE(e.ok()) << e.status();
  EXPECT_EQ(RecordOf(ledger(), "lot/1").version, 0u);
  absl::StatusOr<Receipt> again = ledger().Commit(TxBuilder("again").Write("lot/1", 0, "v3"));
  ASSERT_TRUE(again.ok()) << again.status();
  // As of each sequence number.
  EXPECT_EQ(RecordOf(ledger(), "lot/1", c->seq).value, "v1");
  EXPECT_EQ(RecordOf(ledger(), "lot/1", u->seq).value, "v2");
  EXPECT_EQ(RecordOf(ledger(), "lot/1", u->seq).version, u->seq);
  EXPECT_EQ(RecordOf(ledger(), "lot/1", e->seq).version, 0u);
  EXPECT_EQ(RecordOf(ledger(), "lot/1").value, "v3");
  absl::StatusOr<std::vector<Seq>> h = ledger().RecordHistory("lot/1", {});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, (std::vector<Seq>{c->seq, u->seq, e->seq, again->seq}));
  h = ledger().RecordHistory("lot/1", ReadOptions{u->seq});
  ASSERT_TRUE(h.ok()) << h.status();
  EXPECT_EQ(*h, (std::vector<Seq>{c->seq, u->seq}));
  // Absent keys come back in order with version 0; a prefix of a key is another key.
  std::vector<std::string> keys = {"nope", "lot/1", "lot/"};
  absl::StatusOr<RecordSet> set = ledger().GetRecords(keys, {});
  ASSERT_TRUE(set.ok());
  ASSERT_EQ(set->records.size(), 3u);
  EXPECT_EQ(set->records[0].version, 0u);
  EXPECT_EQ(set->records[1].version, again->seq);
  EXPECT_EQ(set->records[2].version, 0u);
  EXPECT_EQ(set->as_of_seq, again->seq);
}

TEST_P(LedgerConformanceTest, BalancesAtAPastSeq) {
  Receipt setup = OpenAccounts(ledger());
  absl::StatusOr<Receipt> a =
      ledger().Commit(TxBuilder("a").Post("depot", -100).Post("source", 100));
  absl::StatusOr<Receipt> b =
      ledger().Commit(TxBuilder("b").Open("late", "g:CU").Post("depot", -50).Post("late", 50));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_EQ(BalanceOf(ledger(), "depot", setup.seq).amount, 1000);
  EXPECT_EQ(BalanceOf(ledger(), "depot", setup.seq).last_seq, setup.seq);
  EXPECT_EQ(BalanceOf(ledger(), "depot", a->seq).amount, 900);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 850);
  EXPECT_FALSE(BalanceOf(ledger(), "late", a->seq).exists);
  EXPECT_TRUE(BalanceOf(ledger(), "late", b->seq).exists);
  EXPECT_EQ(BalanceOf(ledger(), "source", b->seq).amount, -900);
  std::vector<std::string> ids = {"depot"};
  absl::StatusOr<BalanceSet> set = ledger().GetBalances(ids, ReadOptions{a->seq});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->as_of_seq, a->seq);
  set = ledger().GetBalances(ids, {});
  ASSERT_TRUE(set.ok());
  EXPECT_EQ(set->as_of_seq, b->seq);
}

TEST_P(LedgerConformanceTest, BalancesAsOfBusinessDateCountBackdatedPostings) {
  ASSERT_TRUE(ledger().Commit(TxBuilder("open").Open("s", "g:ZN").Open("d", "g:ZN", true)).ok());
  absl::StatusOr<Receipt> jan = ledger().Commit(
      TxBuilder("jan").Date(absl::CivilDay(2024, 1, 10)).Post("s", -10).Post("d", 10));
  absl::StatusOr<Receipt> mar = ledger().Commit(
      TxBuilder("mar").Date(absl::CivilDay(2024, 3, 10)).Post("s", -30).Post("d", 30));
  // Committed later, dated earlier.
  absl::StatusOr<Receipt> feb = ledger().Commit(
      TxBuilder("feb").Date(absl::CivilDay(2024, 2, 10)).Post("s", -20).Post("d", 20));
  ASSERT_TRUE(jan.ok() && mar.ok() && feb.ok());
  std::vector<std::string> ids = {"d", "s", "nope"};
  auto at = [&](absl::CivilDay day, Seq seq) {
    absl::StatusOr<BalanceSet> set = ledger().GetBalancesAsOfDate(ids, day, ReadOptions{seq});
    EXPECT_TRUE(set.ok()) << set.status();
    return set.ok() ? *set : BalanceSet{};
  };
  BalanceSet set = at(absl::CivilDay(2023, 12, 31), 0);
  ASSERT_EQ(set.balances.size(), 3u);
  EXPECT_EQ(set.balances[0].amount, 0);
  EXPECT_TRUE(set.balances[0].exists);
  EXPECT_FALSE(set.balances[2].exists);
  EXPECT_EQ(at(absl::CivilDay(2024, 1, 10), 0).balances[0].amount, 10);
  EXPECT_EQ(at(absl::CivilDay(2024, 2, 10), 0).balances[0].amount, 30);
  EXPECT_EQ(at(absl::CivilDay(2024, 2, 28), 0).balances[1].amount, -30);
  EXPECT_EQ(at(absl::CivilDay(2024, 12, 31), 0).balances[0].amount, 60);
  // Before the backdated entry was committed, February held only January's posting.
  EXPECT_EQ(at(absl::CivilDay(2024, 2, 28), mar->seq).balances[0].amount, 10);
  EXPECT_EQ(at(absl::CivilDay(2024, 2, 28), mar->seq).as_of_seq, mar->seq);
}

TEST_P(LedgerConformanceTest, ScanRecordsPagesInKeyOrderAtOneSeq) {
  for (int i = 0; i < 25; ++i) {
    ASSERT_TRUE(ledger()
                    .Commit(TxBuilder(absl::StrCat("w", i))
                                .Write(absl::StrCat("lot/", 100 + i), 0, absl::StrCat("v", i)))
                    .ok());
  }
  ASSERT_TRUE(ledger().Commit(TxBuilder("depot").Write("depot/1", 0, "d")).ok());
  ASSERT_TRUE(ledger().Commit(TxBuilder("erase").Erase("lot/105", 6)).ok());
  std::vector<std::string> seen;
  std::string token;
  Seq pinned = 0;
  int pages = 0;
  do {
    absl::StatusOr<RecordPage> page = ledger().ScanRecords("lot/", Page{10, token}, {});
    ASSERT_TRUE(page.ok()) << page.status();
    if (pages == 0) {
      pinned = page->as_of_seq;
      // A record committed between pages is not seen by the continuing pages.
      ASSERT_TRUE(ledger().Commit(TxBuilder("late").Write("lot/999", 0, "late")).ok());
    }
    EXPECT_EQ(page->as_of_seq, pinned);
    EXPECT_LE(page->records.size(), 10u);
    for (const Record& r : page->records) {
      seen.push_back(r.key);
      EXPECT_NE(r.version, 0u);
    }
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(seen.size(), 24u);
  EXPECT_TRUE(std::is_sorted(seen.begin(), seen.end()));
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "lot/105"), 0);
  EXPECT_EQ(std::count(seen.begin(), seen.end(), "lot/999"), 0);
  // At an older seq the erased record is still there.
  absl::StatusOr<RecordPage> old = ledger().ScanRecords("lot/10", Page{100, ""}, ReadOptions{6});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->records.size(), 6u);  // lot/100..lot/105 existed at seq 6
  EXPECT_TRUE(old->next_page_token.empty());
}

TEST_P(LedgerConformanceTest, ScanBalancesPages) {
  Transaction tx = TxBuilder("open");
  for (int i = 0; i < 12; ++i) {
    tx.open_accounts.push_back({absl::StrCat("cu/", 10 + i), "g:CU", false});
  }
  tx.open_accounts.push_back({"zn/1", "g:ZN", false});
  ASSERT_TRUE(ledger().Commit(tx).ok());
  ASSERT_TRUE(ledger().Commit(TxBuilder("p").Post("cu/10", 5).Post("cu/11", -5)).ok());
  std::vector<Balance> all;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<BalancePage> page = ledger().ScanBalances("cu/", Page{5, token}, {});
    ASSERT_TRUE(page.ok()) << page.status();
    all.insert(all.end(), page->balances.begin(), page->balances.end());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 12u);
  EXPECT_EQ(all[0].account, "cu/10");
  EXPECT_EQ(all[0].amount, 5);
  EXPECT_EQ(all[1].amount, -5);
  EXPECT_EQ(all[11].account, "cu/21");
  for (const Balance& b : all) EXPECT_TRUE(b.exists);
  absl::StatusOr<BalancePage> none = ledger().ScanBalances("cu/", Page{5, ""}, ReadOptions{0});
  ASSERT_TRUE(none.ok());
  absl::StatusOr<BalancePage> empty = ledger().ScanBalances("pb/", Page{5, ""}, {});
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->balances.empty());
  EXPECT_TRUE(empty->next_page_token.empty());
}

// Pages after the first are read at the first page's seq, even when later commits moved the
// balances and opened accounts in between (the head is served from memory, older seqs from
// the store: both paths give the same answer).
TEST_P(LedgerConformanceTest, ScanBalancesPagesStayAtTheirSeq) {
  Transaction tx = TxBuilder("open");
  for (int i = 0; i < 6; ++i) {
    tx.open_accounts.push_back({absl::StrCat("al/", 10 + i), "g:AL", false});
  }
  ASSERT_TRUE(ledger().Commit(tx).ok());
  ASSERT_TRUE(ledger().Commit(TxBuilder("p1").Post("al/10", 7).Post("al/15", -7)).ok());
  absl::StatusOr<BalancePage> first = ledger().ScanBalances("al/", Page{3, ""}, {});
  ASSERT_TRUE(first.ok()) << first.status();
  ASSERT_EQ(first->balances.size(), 3u);
  EXPECT_EQ(first->balances[0].amount, 7);
  // Later: more postings, and a new account that sorts inside the remaining range.
  Transaction later = TxBuilder("p2").Post("al/10", 1).Post("al/15", 2).Post("al/14", -3);
  later.open_accounts.push_back({"al/13x", "g:AL", false});
  ASSERT_TRUE(ledger().Commit(later).ok());
  absl::StatusOr<BalancePage> second =
      ledger().ScanBalances("al/", Page{3, first->next_page_token}, {});
  ASSERT_TRUE(second.ok()) << second.status();
  EXPECT_EQ(second->as_of_seq, first->as_of_seq);
  ASSERT_EQ(second->balances.size(), 3u);
  EXPECT_EQ(second->balances[0].account, "al/13");
  EXPECT_EQ(second->balances[1].account, "al/14");
  EXPECT_EQ(second->balances[1].amount, 0);
  EXPECT_EQ(second->balances[2].account, "al/15");
  EXPECT_EQ(second->balances[2].amount, -7);
  EXPECT_TRUE(second->next_page_token.empty());
  // At the head: the new balances and the new account.
  absl::StatusOr<BalancePage> now = ledger().ScanBalances("al/", Page{10, ""}, {});
  ASSERT_TRUE(now.ok()) << now.status();
  ASSERT_EQ(now->balances.size(), 7u);
  EXPECT_EQ(now->balances[0].amount, 8);
  EXPECT_EQ(now->balances[4].account, "al/13x");
  EXPECT_EQ(now->balances[6].amount, -5);
  // A point read at the older seq agrees with the page.
  std::vector<std::string> ids = {"al/15", "al/13x"};
  absl::StatusOr<BalanceSet> old = ledger().GetBalances(ids, ReadOptions{first->as_of_seq});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->balances[0].amount, -7);
  EXPECT_FALSE(old->balances[1].exists);
}

TEST_P(LedgerConformanceTest, AccountHistoryListsMovements) {
  Receipt setup = OpenAccounts(ledger());
  std::vector<Seq> seqs = {setup.seq};
  for (int i = 1; i <= 6; ++i) {
    absl::StatusOr<Receipt> r = ledger().Commit(TxBuilder(absl::StrCat("m", i))
                                                    .Date(absl::CivilDay(2024, 2, i))
                                                    .Post("depot", -i)
                                                    .Post("source", i));
    ASSERT_TRUE(r.ok()) << r.status();
    seqs.push_back(r->seq);
    ASSERT_TRUE(ledger()
                    .Commit(TxBuilder(absl::StrCat("rec", i)).Write(absl::StrCat("k", i), 0, "v"))
                    .ok());
  }
  std::vector<AccountMovement> all;
  std::string token;
  int pages = 0;
  do {
    absl::StatusOr<MovementPage> page = ledger().AccountHistory("depot", Page{3, token}, {});
    ASSERT_TRUE(page.ok()) << page.status();
    all.insert(all.end(), page->movements.begin(), page->movements.end());
    token = page->next_page_token;
    ++pages;
  } while (!token.empty() && pages < 10);
  EXPECT_EQ(pages, 3);
  ASSERT_EQ(all.size(), 7u);
  int64_t balance = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    EXPECT_EQ(all[i].seq, seqs[i]);
    balance += all[i].amount;
    EXPECT_EQ(all[i].balance_after, balance);
  }
  EXPECT_EQ(all[0].amount, 1000);
  EXPECT_EQ(all[3].amount, -3);
  EXPECT_EQ(all[3].business_date, absl::CivilDay(2024, 2, 3));
  EXPECT_EQ(all.back().balance_after, 1000 - 21);
  absl::StatusOr<MovementPage> old =
      ledger().AccountHistory("depot", Page{100, ""}, ReadOptions{seqs[2]});
  ASSERT_TRUE(old.ok()) << old.status();
  EXPECT_EQ(old->movements.size(), 3u);
  EXPECT_EQ(old->as_of_seq, seqs[2]);
}

TEST_P(LedgerConformanceTest, ReadJournalRespectsBounds) {
  for (int i = 0; i < 12; ++i) {
    ASSERT_TRUE(ledger().Commit(TxBuilder(absl::StrCat("r", i)).Memo(absl::StrCat(i))).ok());
  }
  absl::StatusOr<std::vector<JournalEntry>> j = ledger().ReadJournal(5, 4);
  ASSERT_TRUE(j.ok()) << j.status();
  ASSERT_EQ(j->size(), 4u);
  EXPECT_EQ((*j)[0].seq, 5u);
  EXPECT_EQ((*j)[0].tx.memo, "4");
  j = ledger().ReadJournal(10, 100);
  ASSERT_TRUE(j.ok());
  EXPECT_EQ(j->size(), 3u);
  j = ledger().ReadJournal(13, 100);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->empty());
  j = ledger().ReadJournal(1000, 1);
  ASSERT_TRUE(j.ok());
  EXPECT_TRUE(j->empty());
}

// ---------------------------------------------------------------- watch

TEST_P(LedgerConformanceTest, WatchStreamsExistingAndNewEntriesAndResumes) {
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(ledger().Commit(TxBuilder(absl::StrCat("pre", i))).ok());
  }
  absl::Mutex mu;
  std::vector<Seq> seen;
  std::thread watcher([&] {
    absl::Status s = ledger().Watch(
        2,
        [&](const JournalEntry& e) {
          absl::MutexLock l(&mu);
          seen.push_back(e.seq);
          return seen.size() < 5;
        },
        [] { return false; });
    EXPECT_TRUE(s.ok()) << s;
  });
  for (int i = 0; i < 4; ++i) {
    ASSERT_TRUE(ledger().Commit(TxBuilder(absl::StrCat("post", i))).ok());
  }
  watcher.join();
  EXPECT_EQ(seen, (std::vector<Seq>{2, 3, 4, 5, 6}));
  // Resume after the last seen entry.
  std::vector<Seq> resumed;
  absl::Status s = ledger().Watch(
      seen.back() + 1,
      [&](const JournalEntry& e) {
        resumed.push_back(e.seq);
        return e.seq < 7;
      },
      [] { return false; });
  EXPECT_TRUE(s.ok()) << s;
  EXPECT_EQ(resumed, (std::vector<Seq>{7}));
}

TEST_P(LedgerConformanceTest, WatchStopsWhenAsked) {
  ASSERT_TRUE(ledger().Commit(TxBuilder("one")).ok());
  std::atomic<bool> stop{false};
  std::atomic<int> count{0};
  std::thread watcher([&] {
    absl::Status s = ledger().Watch(
        1,
        [&](const JournalEntry&) {
          count.fetch_add(1);
          return true;
        },
        [&] { return stop.load(); });
    EXPECT_TRUE(s.ok()) << s;
  });
  while (count.load() < 1) absl::SleepFor(absl::Milliseconds(5));
  stop.store(true);
  watcher.join();
  EXPECT_EQ(count.load(), 1);
}

TEST_P(LedgerConformanceTest, WatchRejectsSeqZero) {
  absl::Status s = ledger().Watch(
      0, [](const JournalEntry&) { return false; }, [] { return true; });
  ExpectField(s, "from_seq");
}

// ---------------------------------------------------------------- verify, backup, concurrency

TEST_P(LedgerConformanceTest, VerifyPassesAfterActivity) {
  OpenAccounts(ledger());
  for (int i = 0; i < 20; ++i) {
    TxBuilder tx(absl::StrCat("v", i));
    tx.Post("depot", -1).Post("source", 1);
    if (i < 3) tx.Write(absl::StrCat("k", i), 0, "x");
    ASSERT_TRUE(ledger().Commit(tx).ok());
  }
  absl::StatusOr<VerifyReport> report = ledger().Verify();
  ASSERT_TRUE(report.ok()) << report.status();
  EXPECT_TRUE(report->ok) << report->problem;
  EXPECT_EQ(report->entries_checked, HeadSeq(ledger()));
  EXPECT_EQ(report->accounts_checked, 4u);
  EXPECT_EQ(report->first_bad_seq, 0u);
  EXPECT_TRUE(report->problem.empty());
}

TEST_P(LedgerConformanceTest, BackupNeedsAFreshDirectory) {
  OpenAccounts(ledger());
  std::string dir = FreshPath("backup");
  absl::StatusOr<Head> head = ledger().Backup(dir);
  ASSERT_TRUE(head.ok()) << head.status();
  EXPECT_EQ(head->seq, HeadSeq(ledger()));
  EXPECT_EQ(ledger().Backup(dir).status().code(), StatusCode::kFailedPrecondition);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

TEST_P(LedgerConformanceTest, ConcurrentRetriesOfOneRequestGetOneSeq) {
  OpenAccounts(ledger());
  Seq before = HeadSeq(ledger());
  Transaction tx = TxBuilder("same").Post("depot", -1).Post("source", 1);
  constexpr int kThreads = 32;
  std::vector<absl::StatusOr<Receipt>> results(kThreads, absl::UnknownError("unset"));
  std::vector<std::thread> threads;
  absl::Notification go;
  for (int i = 0; i < kThreads; ++i) {
    threads.emplace_back([&, i] {
      go.WaitForNotification();
      results[i] = ledger().Commit(tx);
    });
  }
  go.Notify();
  for (auto& t : threads) t.join();
  std::set<Seq> seqs;
  int originals = 0;
  for (const auto& r : results) {
    ASSERT_TRUE(r.ok()) << r.status();
    seqs.insert(r->seq);
    originals += r->replayed ? 0 : 1;
  }
  EXPECT_EQ(seqs.size(), 1u);
  EXPECT_EQ(originals, 1);
  EXPECT_EQ(HeadSeq(ledger()), before + 1);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 999);
}

TEST_P(LedgerConformanceTest, ConcurrentCommitsAreAllAppliedOnce) {
  OpenAccounts(ledger());
  constexpr int kThreads = 8;
  constexpr int kPerThread = 25;
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        absl::StatusOr<Receipt> r = ledger().Commit(
            TxBuilder(absl::StrCat("t", t, "-", i)).Post("depot", -1).Post("source", 1));
        if (!r.ok()) failures.fetch_add(1);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(HeadSeq(ledger()), 1u + kThreads * kPerThread);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 1000 - kThreads * kPerThread);
  absl::StatusOr<VerifyReport> report = ledger().Verify();
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->ok) << report->problem;
}

// ---------------------------------------------------------------- CommitAsync

// CommitAsync's answer to `tx`, waited for.
absl::StatusOr<Receipt> CommitAndWait(Ledger& ledger, Transaction tx) {
  absl::StatusOr<Receipt> out = absl::UnknownError("no answer");
  absl::Notification answered;
  ledger.CommitAsync(std::move(tx), [&](absl::StatusOr<Receipt> r) {
    out = std::move(r);
    answered.Notify();
  });
  answered.WaitForNotification();
  return out;
}

TEST_P(LedgerConformanceTest, CommitAsyncAnswersAsCommitDoes) {
  OpenAccounts(ledger());
  Transaction pay = TxBuilder("pay-1").Post("depot", -5).Post("source", 5);
  absl::StatusOr<Receipt> first = CommitAndWait(ledger(), pay);
  ASSERT_TRUE(first.ok()) << first.status();
  EXPECT_FALSE(first->replayed);
  EXPECT_EQ(HeadSeq(ledger()), first->seq);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 995);
  // The same transaction again, either way: the original receipt.
  absl::StatusOr<Receipt> again = CommitAndWait(ledger(), pay);
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->hash, first->hash);
  absl::StatusOr<Receipt> sync_again = ledger().Commit(pay);
  ASSERT_TRUE(sync_again.ok()) << sync_again.status();
  EXPECT_EQ(sync_again->seq, first->seq);
  // Rejections, with the reasons Commit gives, and nothing written.
  ExpectReason(
      CommitAndWait(ledger(), TxBuilder("pay-1").Post("depot", -6).Post("source", 6)).status(),
      StatusCode::kAlreadyExists, reason::kRequestIdReused);
  ExpectReason(
      CommitAndWait(ledger(), TxBuilder("big").Post("depot", -5000).Post("source", 5000))
          .status(),
      StatusCode::kFailedPrecondition, reason::kInsufficientBalance);
  ExpectReason(CommitAndWait(ledger(), TxBuilder("v").Write("lot/1", 9, "x")).status(),
               StatusCode::kAborted, reason::kVersionConflict);
  ExpectField(CommitAndWait(ledger(), TxBuilder("").Post("depot", -1).Post("source", 1)).status(),
              "request_id");
  EXPECT_EQ(HeadSeq(ledger()), first->seq);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 995);
}

TEST_P(LedgerConformanceTest, ConcurrentAsyncCommitsAreEachAnsweredOnce) {
  OpenAccounts(ledger());
  constexpr int kCommits = 300;
  absl::Mutex mu;
  std::vector<int> answers(kCommits, 0);
  std::set<Seq> seqs;
  int failures = 0;
  int answered = 0;
  // A commit answered from within another's answer: a retry plans and commits from there.
  for (int i = 0; i < kCommits; ++i) {
    ledger().CommitAsync(
        TxBuilder(absl::StrCat("a", i)).Post("depot", -1).Post("source", 1),
        [&, i](absl::StatusOr<Receipt> r) {
          absl::MutexLock l(&mu);
          ++answers[i];
          ++answered;
          if (r.ok()) {
            seqs.insert(r->seq);
          } else {
            ++failures;
          }
        });
  }
  absl::Notification chained;
  ledger().CommitAsync(TxBuilder("outer").Post("depot", -1).Post("source", 1),
                       [&](absl::StatusOr<Receipt> outer) {
                         EXPECT_TRUE(outer.ok()) << outer.status();
                         ledger().CommitAsync(
                             TxBuilder("inner").Post("depot", -1).Post("source", 1),
                             [&](absl::StatusOr<Receipt> inner) {
                               EXPECT_TRUE(inner.ok()) << inner.status();
                               chained.Notify();
                             });
                       });
  chained.WaitForNotification();
  {
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(
        +[](int* n) { return *n == kCommits; }, &answered));
  }
  EXPECT_EQ(failures, 0);
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kCommits));
  EXPECT_TRUE(std::all_of(answers.begin(), answers.end(), [](int n) { return n == 1; }));
  EXPECT_EQ(HeadSeq(ledger()), 1u + kCommits + 2);
  EXPECT_EQ(BalanceOf(ledger(), "depot").amount, 1000 - kCommits - 2);
}

}  // namespace
}  // namespace reserve::ledger::testing
