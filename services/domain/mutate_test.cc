#include "services/domain/mutate.h"

#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "gtest/gtest.h"
#include "services/domain/fingerprint.h"
#include "services/domain/reads.h"
#include "services/domain/test_ledger.h"
#include "storage/errors.h"

namespace reserve::domain {
namespace {

// A service's contract, as inventory's would be.
constexpr MutationSpec kSpec{"test-request/", "test/", 40};
constexpr absl::string_view kKind = "test.set";

class MutateTest : public testing::LedgerTest {
 protected:
  Context Ctx(absl::string_view rid) {
    return Context{std::string(rid), "admin:alice", absl::CivilDay(2024, 1, 10)};
  }

  // Plans "set record `key` to `value`" from a read of `key` (compare-and-set), answering
  // {"value": value}; counts its calls.
  Planner SetPlanner(const std::string& key, const std::string& value) {
    return [this, key, value]() -> absl::StatusOr<Plan> {
      ++plans_;
      absl::StatusOr<ledger::Record> r = ReadRecord(*ledger_, key);
      if (!r.ok()) return r.status();
      Plan plan;
      plan.tx.writes.push_back({key, r->version, value, false});
      plan.response = {{"value", value}};
      return plan;
    };
  }

  absl::StatusOr<Mutation<json>> Set(absl::string_view rid, const std::string& key,
                                     const std::string& value) {
    return Mutate(*ledger_, kSpec, Ctx(rid), kKind, Fingerprint(key, value),
                  SetPlanner(key, value));
  }

  static std::string Fingerprint(const std::string& key, const std::string& value) {
    return Fnv128Hex(
        RequestText(kKind, absl::CivilDay(2024, 1, 10), {{"key", key}, {"value", value}}));
  }

  int plans_ = 0;
};

TEST_F(MutateTest, CommitsWithTheReceiptUnderTheServicesPrefixes) {
  absl::StatusOr<Mutation<json>> m = Set("r1", "k", "v1");
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->value, (json{{"value", "v1"}}));
  EXPECT_FALSE(m->replayed);
  absl::StatusOr<std::vector<ledger::JournalEntry>> entries = ledger_->ReadJournal(m->seq, 1);
  ASSERT_TRUE(entries.ok() && entries->size() == 1);
  const ledger::Transaction& tx = entries->front().tx;
  EXPECT_EQ(tx.request_id, "test/r1");
  EXPECT_EQ(tx.kind, kKind);
  EXPECT_EQ(tx.principal, "admin:alice");
  EXPECT_EQ(tx.business_date, absl::CivilDay(2024, 1, 10));
  ASSERT_EQ(tx.writes.size(), 2u);
  EXPECT_EQ(tx.writes[1].key, "test-request/r1");
  EXPECT_EQ(json::parse(tx.writes[1].value),
            (json{{"fp", Fingerprint("k", "v1")}, {"response", {{"value", "v1"}}}}));
}

TEST_F(MutateTest, AnIdenticalRetryIsReplayedByTheLedger) {
  absl::StatusOr<Mutation<json>> first = Set("r1", "k", "v1");
  ASSERT_TRUE(first.ok()) << first.status();
  // A retry racing nothing plans the same transaction (the record it read is its own write,
  // so the plan differs: the receipt answers) ...
  absl::StatusOr<Mutation<json>> again = Set("r1", "k", "v1");
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, first->seq);
  EXPECT_EQ(again->value, first->value);
  // ... and one whose plan is the very same transaction is answered by the ledger itself.
  auto same = [&]() -> absl::StatusOr<Plan> {
    Plan plan;
    plan.tx.writes.push_back({"other", 0, "x", false});
    plan.response = {{"n", 1}};
    return plan;
  };
  absl::StatusOr<Mutation<json>> a = Mutate(*ledger_, kSpec, Ctx("r2"), kKind, "fp", same);
  absl::StatusOr<Mutation<json>> b = Mutate(*ledger_, kSpec, Ctx("r2"), kKind, "fp", same);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_FALSE(a->replayed);
  EXPECT_TRUE(b->replayed);
  EXPECT_EQ(b->seq, a->seq);
  EXPECT_EQ(b->value, (json{{"n", 1}}));
}

TEST_F(MutateTest, OtherContentUnderAUsedRequestIdIsRequestIdReused) {
  ASSERT_TRUE(Set("r1", "k", "v1").ok());
  absl::StatusOr<Mutation<json>> other = Set("r1", "k", "v2");
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(other.status()), reason::kRequestIdReused);
  // Even when the other request's plan fails.
  auto failing = []() -> absl::StatusOr<Plan> { return Precondition("NOPE", "no"); };
  other = Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "another fp", failing);
  EXPECT_EQ(other.status().code(), absl::StatusCode::kAlreadyExists);
  EXPECT_EQ(ReasonOf(other.status()), reason::kRequestIdReused);
}

TEST_F(MutateTest, APlannerFailureIsAnsweredByTheReceiptOfTheFirstAttempt) {
  ASSERT_TRUE(Set("r1", "k", "v1").ok());
  // The first attempt consumed the state its plan needs (a lot released already).
  auto gone = []() -> absl::StatusOr<Plan> { return Precondition("LOT_RELEASED", "released"); };
  absl::StatusOr<Mutation<json>> m =
      Mutate(*ledger_, kSpec, Ctx("r1"), kKind, Fingerprint("k", "v1"), gone);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_TRUE(m->replayed);
  EXPECT_EQ(m->value, (json{{"value", "v1"}}));
  // Without a receipt the planner's error stands.
  m = Mutate(*ledger_, kSpec, Ctx("r9"), kKind, "fp", gone);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(m.status()), "LOT_RELEASED");
}

TEST_F(MutateTest, AVersionConflictReplansOnFreshState) {
  Write("seed", {{"k", 0, "v0", false}});
  int calls = 0;
  Planner racing = [&]() -> absl::StatusOr<Plan> {
    absl::StatusOr<Plan> plan = SetPlanner("k", "mine")();
    if (++calls == 1) {
      // A concurrent writer changes the record between this plan's read and its commit.
      absl::StatusOr<ledger::Record> r = ReadRecord(*ledger_, "k");
      Write("concurrent", {{"k", r->version, "theirs", false}});
    }
    return plan;
  };
  absl::StatusOr<Mutation<json>> m = Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", racing);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ReadRecord(*ledger_, "k")->value, "mine");
}

TEST_F(MutateTest, AGuardedBalanceSpentConcurrentlyReplans) {
  int calls = 0;
  Planner spend = [&]() -> absl::StatusOr<Plan> {
    Plan plan;
    plan.tx.open_accounts = {{"budget", "CNY", true}, {"paid", "CNY", false}};
    // The first plan believed the budget held 10; it holds nothing.
    int64_t amount = ++calls == 1 ? 10 : 0;
    if (amount == 0) return Precondition("BUDGET_INSUFFICIENT", "the budget holds nothing");
    plan.tx.postings = {{"budget", -amount}, {"paid", amount}};
    return plan;
  };
  absl::StatusOr<Mutation<json>> m = Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", spend);
  EXPECT_EQ(calls, 2);
  EXPECT_EQ(ReasonOf(m.status()), "BUDGET_INSUFFICIENT");
}

TEST_F(MutateTest, AsyncMutationsRacingForOneRecordEachAnswerOnceAndAllApply) {
  // Each adds its name to the list in record "k" (compare-and-set): the losers of each round
  // re-plan inside the ledger's answer, with no thread of theirs waiting.
  Write("seed", {{"k", 0, "", false}});
  constexpr int kRacers = 6;  // within kMaxCommitAttempts rounds: each round one wins
  absl::Mutex mu;
  int answered = 0;
  std::vector<int> answers(kRacers, 0);
  for (int i = 0; i < kRacers; ++i) {
    const std::string name = absl::StrCat("n", i);
    Planner append = [this, name]() -> absl::StatusOr<Plan> {
      absl::StatusOr<ledger::Record> r = ReadRecord(*ledger_, "k");
      if (!r.ok()) return r.status();
      Plan plan;
      plan.tx.writes.push_back({"k", r->version, absl::StrCat(r->value, name, ";"), false});
      plan.response = {{"name", name}};
      return plan;
    };
    MutateAsync(*ledger_, kSpec, Ctx(absl::StrCat("race-", i)), kKind, "fp", append, nullptr,
                [&, i](absl::StatusOr<Mutation<json>> m) {
                  EXPECT_TRUE(m.ok()) << m.status();
                  absl::MutexLock l(&mu);
                  ++answers[i];
                  ++answered;
                });
  }
  {
    absl::MutexLock l(&mu);
    mu.Await(absl::Condition(+[](int* n) { return *n == kRacers; }, &answered));
  }
  EXPECT_EQ(answers, std::vector<int>(kRacers, 1));
  std::string list = ReadRecord(*ledger_, "k")->value;
  for (int i = 0; i < kRacers; ++i) {
    EXPECT_NE(list.find(absl::StrCat("n", i, ";")), std::string::npos) << list;
  }
  EXPECT_EQ(list.size(), static_cast<size_t>(kRacers) * 3);
}

TEST_F(MutateTest, AsyncAnswersWithoutACommitComeBeforeTheCallReturns) {
  bool answered = false;
  Planner refuse = []() -> absl::StatusOr<Plan> {
    return Precondition("LOT_RELEASED", "the lot left");
  };
  MutateAsync(*ledger_, kSpec, Ctx("r1"), kKind, "fp", refuse, nullptr,
              [&](absl::StatusOr<Mutation<json>> m) {
                EXPECT_EQ(ReasonOf(m.status()), "LOT_RELEASED");
                answered = true;
              });
  EXPECT_TRUE(answered);
  answered = false;
  MutateAsync(*ledger_, kSpec, Ctx(""), kKind, "fp", refuse, nullptr,
              [&](absl::StatusOr<Mutation<json>> m) {
                EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
                answered = true;
              });
  EXPECT_TRUE(answered);
}

TEST_F(MutateTest, ConflictsBeyondTheAttemptLimitReturnTheLastOne) {
  Write("seed", {{"k", 0, "v0", false}});
  int calls = 0;
  Planner stale = [&]() -> absl::StatusOr<Plan> {
    ++calls;
    Plan plan;
    plan.tx.writes.push_back({"k", 999, "never", false});  // always a stale version
    return plan;
  };
  absl::StatusOr<Mutation<json>> m = Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", stale);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kAborted);
  EXPECT_EQ(calls, kMaxCommitAttempts);
}

TEST_F(MutateTest, ErrorsThatARereadCannotCureAreReturnedAtOnce) {
  int calls = 0;
  Planner unbalanced = [&]() -> absl::StatusOr<Plan> {
    ++calls;
    Plan plan;
    plan.tx.open_accounts = {{"a", "CNY", false}};
    plan.tx.postings = {{"a", 5}};
    return plan;
  };
  absl::StatusOr<Mutation<json>> m = Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", unbalanced);
  EXPECT_EQ(m.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(m.status()), reason::kUnbalanced);
  EXPECT_EQ(calls, 1);
}

TEST_F(MutateTest, TheFastPlannerGoesFirstAndALedgerRejectionFallsBackToThePlanner) {
  Write("seed", {{"lot/L1", 0, "exists", false}});
  int fast = 0;
  int careful = 0;
  // The fast plan writes the lot at version 0 without reading: the ledger refuses it.
  Planner fast_planner = [&]() -> absl::StatusOr<Plan> {
    ++fast;
    Plan plan;
    plan.tx.writes.push_back({"lot/L1", 0, "new", false});
    return plan;
  };
  // The careful one reads and names the business reason.
  Planner planner = [&]() -> absl::StatusOr<Plan> {
    ++careful;
    absl::StatusOr<ledger::Record> r = ReadRecord(*ledger_, "lot/L1");
    if (r->version != 0) return Precondition("LOT_EXISTS", "lot L1 exists");
    return Plan{};
  };
  absl::StatusOr<Mutation<json>> m =
      Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", planner, fast_planner);
  EXPECT_EQ(ReasonOf(m.status()), "LOT_EXISTS");
  EXPECT_EQ(fast, 1);
  EXPECT_EQ(careful, 1);

  // When the fast plan commits, the planner never runs.
  Planner fresh = [&]() -> absl::StatusOr<Plan> {
    ++fast;
    Plan plan;
    plan.tx.writes.push_back({"lot/L2", 0, "new", false});
    plan.response = "fast";
    return plan;
  };
  m = Mutate(*ledger_, kSpec, Ctx("r2"), kKind, "fp2", planner, fresh);
  ASSERT_TRUE(m.ok()) << m.status();
  EXPECT_EQ(m->value, "fast");
  EXPECT_EQ(fast, 2);
  EXPECT_EQ(careful, 1);
}

TEST_F(MutateTest, TheContextIsCheckedAgainstTheServicesLimitBeforeAnyPlan) {
  absl::StatusOr<Mutation<json>> m =
      Set(std::string(kSpec.max_request_id_chars + 1, 'r'), "k", "v");
  EXPECT_EQ(m.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(m.status()), "request_id");
  m = Set("", "k", "v");
  EXPECT_EQ(FieldOf(m.status()), "request_id");
  Context no_one = Ctx("r1");
  no_one.principal.clear();
  m = Mutate(*ledger_, kSpec, no_one, kKind, "fp", SetPlanner("k", "v"));
  EXPECT_EQ(m.status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_EQ(plans_, 0);
}

TEST_F(MutateTest, AMalformedReceiptIsDataLoss) {
  Write("corrupt", {{"test-request/r1", 0, "not json", false}});
  auto gone = []() -> absl::StatusOr<Plan> { return Precondition("GONE", "gone"); };
  EXPECT_EQ(Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", gone).status().code(),
            absl::StatusCode::kDataLoss);
}

TEST_F(MutateTest, TooManyRecordWritesAreResourceExhausted) {
  Planner huge = []() -> absl::StatusOr<Plan> {
    Plan plan;
    for (size_t i = 0; i < ledger::kMaxWrites; ++i) {
      plan.tx.writes.push_back({absl::StrCat("w/", i), 0, "x", false});
    }
    return plan;
  };
  EXPECT_EQ(Mutate(*ledger_, kSpec, Ctx("r1"), kKind, "fp", huge).status().code(),
            absl::StatusCode::kResourceExhausted);
}

// Stores written before the kit: each service's old code committed its transaction under its
// ledger request id with a receipt record {"fp", "response"} (the fingerprints below are what
// the old code computed). A retry after the upgrade plans another transaction (the state moved
// on), so the ledger refuses it as seen, and the receipt must still answer.
TEST_F(MutateTest, ReceiptsWrittenBeforeTheKitAreStillRecognised) {
  struct Old {
    MutationSpec spec;
    std::string kind;
    std::string fingerprint;  // computed with the kit from the request, as the service does
    std::string receipt;      // the record the old code wrote, byte for byte
    json answer;
  };
  const absl::CivilDay jan10(2024, 1, 10);
  const std::vector<Old> stores = {
      {{"inventory-request/", "inventory/", 200},
       "inventory.add_metal",
       Fnv128Hex(RequestText("inventory.add_metal", jan10, {{"code", "GA"}})),
       R"({"fp":"7e4fe7e10cbcc2321830f9e730334647","response":{"code":"GA"}})",
       {{"code", "GA"}}},
      {{"decision-request/", "decision/", 150},
       "decision.set_approval_policy",
       Sha256Hex(RequestText("decision.set_approval_policy", jan10,
                             {{"currency", "CNY"}, {"two_approver_threshold_minor", 100}})),
       R"({"fp":"fcd314ceb4120694eba4f3e48f796c28b128bfbbd27ed4d5c38557ce5565cc4f","response":{"currency":"CNY","two_approver_threshold_minor":100}})",
       {{"currency", "CNY"}, {"two_approver_threshold_minor", 100}}},
      {{"commercial-request/", "commercial-request/", 160},
       "commercial.fund_budget",
       Fnv128MixedHex("commercial.fund_budget|2024-01-10|admin:alice|fund|subsidy|CNY|100|"),
       R"({"fp":"a0306d87e85061efcde02aea5e966d3c","response":"{}"})",
       "{}"},
  };
  for (const Old& old : stores) {
    SCOPED_TRACE(old.kind);
    ledger::Transaction tx;
    tx.request_id = absl::StrCat(old.spec.ledger_request_prefix, "old-1");
    tx.kind = old.kind;
    tx.principal = "admin:alice";
    tx.business_date = jan10;
    tx.writes.push_back({absl::StrCat(old.spec.receipt_prefix, "old-1"), 0, old.receipt, false});
    absl::StatusOr<ledger::Receipt> committed = ledger_->Commit(tx);
    ASSERT_TRUE(committed.ok()) << committed.status();

    auto replan = []() -> absl::StatusOr<Plan> {
      Plan plan;
      plan.response = "another answer";
      return plan;
    };
    absl::StatusOr<Mutation<json>> m =
        Mutate(*ledger_, old.spec, Ctx("old-1"), old.kind, old.fingerprint, replan);
    ASSERT_TRUE(m.ok()) << m.status();
    EXPECT_TRUE(m->replayed);
    EXPECT_EQ(m->seq, committed->seq);
    EXPECT_EQ(m->value, old.answer);
    // Other content under that id is still refused.
    m = Mutate(*ledger_, old.spec, Ctx("old-1"), old.kind, "another fingerprint", replan);
    EXPECT_EQ(ReasonOf(m.status()), reason::kRequestIdReused);
  }
}

TEST_F(MutateTest, ConvertDecodesTheAnswerOrReportsDataLoss) {
  absl::StatusOr<Mutation<int>> n =
      Convert<int>(Mutation<json>{json{{"n", 3}}, 7, true},
                   [](const json& j) -> absl::StatusOr<int> { return j.at("n").get<int>(); });
  ASSERT_TRUE(n.ok()) << n.status();
  EXPECT_EQ(n->value, 3);
  EXPECT_EQ(n->seq, 7u);
  EXPECT_TRUE(n->replayed);
  n = Convert<int>(Mutation<json>{json{{"m", 3}}, 7, true},
                   [](const json& j) -> absl::StatusOr<int> { return j.at("n").get<int>(); });
  EXPECT_EQ(n.status().code(), absl::StatusCode::kDataLoss);
  n = Convert<int>(absl::NotFoundError("x"),
                   [](const json& j) -> absl::StatusOr<int> { return 0; });
  EXPECT_EQ(n.status().code(), absl::StatusCode::kNotFound);
}

}  // namespace
}  // namespace reserve::domain
