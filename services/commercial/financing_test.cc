#include "services/commercial/financing.h"

#include <atomic>
#include <limits>
#include <tuple>
#include <thread>

#include "gmock/gmock.h"
#include "services/commercial/mark_to_market.h"
#include "services/commercial/test_world.h"

namespace reserve::commercial {
namespace {

using testing::D;
using testing::kTonne;
namespace why = commercial_reason;
using inventory::ReserveClass;

constexpr int64_t kCuPrice = 6'000'000;  // 60,000.00 CNY per tonne, in fen

class FinancingTest : public testing::World {
 protected:
  void SetUp() override {
    World::SetUp();
    MakeDepot("D-OK", true);
    MakeDepot("D-NO", false);
    Enrol("ent-a", {"D-OK", "D-NO"});
    Enrol("ent-b", {"D-OK"});
    Acquire("acq-1", {MakeLot("L1", "D-OK", 10, "ent-a"), MakeLot("L2", "D-OK", 20, "ent-a"),
                      MakeLot("L3", "D-NO", 15, "ent-a"),
                      MakeLot("L4", "D-OK", 5, "state", ReserveClass::kCentral),
                      MakeLot("L5", "D-OK", 10, "ent-a", ReserveClass::kCommercial, "AL"),
                      MakeLot("L6", "D-OK", 10, "ent-b")});
    price_seq_ = Price("CU", absl::CivilDay(2024, 2, 1), kCuPrice);
    ASSERT_TRUE(Mark(price_seq_).ok());
  }

  absl::StatusOr<Mutation<PledgeResult>> Pledge(const std::string& bank, const std::string& rid,
                                                const PledgeRequest& r,
                                                absl::CivilDay day = absl::CivilDay(2024, 3, 1)) {
    return financing_->CreatePledge(Ctx(rid, day, "bank-user"), bank, r);
  }

  std::vector<PledgeEvent> Events(const std::string& bank, EventCursor cursor = {},
                                  WatchOptions options = {}) {
    std::vector<PledgeEvent> out;
    absl::Status s = financing_->WatchEvents(
        bank, cursor, options,
        [&](const PledgeEvent& e) {
          out.push_back(e);
          return true;
        },
        [] { return false; });
    EXPECT_TRUE(s.ok()) << s;
    return out;
  }

  ledger::Seq price_seq_ = 0;
};

TEST_F(FinancingTest, VerifySaysWhetherLotsAreFreeWithoutNamingLenders) {
  auto v = financing_->VerifyLots("icbc", {"L1", "L3", "L4", "NOPE", "L6"}, "ent-a");
  ASSERT_TRUE(v.ok()) << v.status();
  ASSERT_EQ(v->lots.size(), 5u);
  EXPECT_EQ(v->lots[0].pledgeability, Pledgeability::kFree);
  EXPECT_EQ(v->lots[0].metal, "CU");
  EXPECT_EQ(v->lots[0].grade, "Cu-CATH-1");
  EXPECT_EQ(v->lots[0].net_mass_g, 10 * kTonne);
  EXPECT_EQ(v->lots[0].depot, "D-OK");
  EXPECT_TRUE(v->lots[0].depot_approved_for_pledge);
  EXPECT_EQ(v->lots[1].pledgeability, Pledgeability::kDepotNotApproved);
  EXPECT_EQ(v->lots[2].pledgeability, Pledgeability::kNotCommercial);
  EXPECT_EQ(v->lots[3].pledgeability, Pledgeability::kUnknownLot);
  EXPECT_EQ(v->lots[3].metal, "");
  EXPECT_EQ(v->lots[4].pledgeability, Pledgeability::kNotBorrowers);

  ASSERT_TRUE(Pledge("boc", "p1", Loan("ent-a", {"L1"}, 10'000'000)).ok());
  v = financing_->VerifyLots("icbc", {"L1"}, "");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->lots[0].pledgeability, Pledgeability::kEncumbered);
  v = financing_->VerifyLots("boc", {"L1"}, "");
  EXPECT_EQ(v->lots[0].pledgeability, Pledgeability::kPledgedToYou);
}

TEST_F(FinancingTest, VerifyRejectsBadInput) {
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", {}, "").status()), "lot_ids");
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", {"L1", "L1"}, "").status()), "lot_ids[1]");
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", {"a/b"}, "").status()), "lot_ids[0]");
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", {std::string(65, 'x')}, "").status()),
            "lot_ids[0]");
  std::vector<std::string> many;
  for (int i = 0; i < 1001; ++i) many.push_back(absl::StrCat("L", i));
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", many, "").status()), "lot_ids");
  EXPECT_EQ(FieldOf(financing_->VerifyLots("icbc", {"L1"}, "x y").status()),
            "borrower_enterprise_id");
  EXPECT_EQ(financing_->VerifyLots("icbc", {"L1"}, "x y").status().code(),
            absl::StatusCode::kInvalidArgument);
}

TEST_F(FinancingTest, PledgeLocksLotsAgainstMovesAndSecondPledges) {
  auto p = Pledge("icbc", "p1", Loan("ent-a", {"L1", "L2"}, 100'000'000));
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_FALSE(p->replayed);
  // 30 t at 60,000 CNY/t = 1,800,000 CNY; 1,000,000 CNY lent: 5555.6 bp, rounded half up.
  EXPECT_EQ(p->value.ltv_bp, 5556);
  const commercial::Pledge& pledge = p->value.pledge;
  EXPECT_THAT(pledge.id, ::testing::StartsWith("icbc:"));
  EXPECT_EQ(pledge.collateral_mass_g, 30 * kTonne);
  EXPECT_EQ(pledge.status, PledgeStatus::kActive);
  EXPECT_EQ(pledge.metal, "CU");
  auto lot = LotNow("L1");
  ASSERT_TRUE(lot.ok());
  EXPECT_EQ(lot->status, inventory::LotStatus::kPledged);
  ASSERT_EQ(lot->encumbrances.size(), 1u);
  EXPECT_EQ(lot->encumbrances[0].holder, "bank:icbc");
  EXPECT_EQ(lot->encumbrances[0].reference, pledge.id);

  // Inventory refuses to move a pledged lot.
  inventory::ReleaseRequest release{{{"L1", 0}}, "Buyer", "REF", "", ""};
  absl::Status refused = inventory_->Release(InvCtx("rel-1"), release).status();
  EXPECT_EQ(refused.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(refused), "LOT_PLEDGED");
  refused = inventory_->Dispatch(InvCtx("disp-1"), "L2", "D-NO").status();
  EXPECT_EQ(ReasonOf(refused), "LOT_PLEDGED");

  // A second bank is refused, and not told who holds the lot.
  absl::Status second = Pledge("boc", "p2", Loan("ent-a", {"L2"}, 1'000'000)).status();
  EXPECT_EQ(second.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(second), why::kLotPledged);
  EXPECT_EQ(second.message().find("icbc"), absl::string_view::npos) << second.message();

  // A retry replays; other content under the same request id is refused.
  auto again = Pledge("icbc", "p1", Loan("ent-a", {"L1", "L2"}, 100'000'000));
  ASSERT_TRUE(again.ok()) << again.status();
  EXPECT_TRUE(again->replayed);
  EXPECT_EQ(again->seq, p->seq);
  EXPECT_EQ(again->value.pledge.id, pledge.id);
  EXPECT_EQ(Pledge("icbc", "p1", Loan("ent-a", {"L1", "L2"}, 99'000'000)).status().code(),
            absl::StatusCode::kAlreadyExists);
  // The same request id from another bank is another pledge (and is refused: lots taken).
  EXPECT_EQ(ReasonOf(Pledge("boc", "p1", Loan("ent-a", {"L1"}, 1'000'000)).status()),
            why::kLotPledged);
}

TEST_F(FinancingTest, PledgeRefusalsCarryReasons) {
  auto reason = [&](const PledgeRequest& r) { return ReasonOf(Pledge("icbc", "x", r).status()); };
  EXPECT_EQ(reason(Loan("ent-a", {"L1"}, 50'000'000)), why::kLtvTooHigh);  // 83% > 70%
  EXPECT_EQ(reason(Loan("ent-a", {"L5"}, 1'000)), why::kNoPriceMark);      // no AL mark
  EXPECT_EQ(reason(Loan("ent-a", {"L1", "L5"}, 1'000)), why::kMixedMetals);
  EXPECT_EQ(reason(Loan("ent-a", {"L3"}, 1'000)), why::kDepotNotApproved);
  EXPECT_EQ(reason(Loan("ent-a", {"L4"}, 1'000)), why::kLotNotCommercial);
  EXPECT_EQ(reason(Loan("ent-a", {"L6"}, 1'000)), why::kLotNotBorrowers);
  absl::Status s = Pledge("icbc", "x", Loan("ent-z", {"L1"}, 1'000)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), why::kUnknownEnterprise);
  s = Pledge("icbc", "x", Loan("ent-a", {"NOPE"}, 1'000)).status();
  EXPECT_EQ(s.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(ReasonOf(s), why::kUnknownLot);
  // Nothing was written by any refusal.
  EXPECT_EQ(LotNow("L1")->status, inventory::LotStatus::kInStock);
}

TEST_F(FinancingTest, PledgeRejectsBadInput) {
  auto field = [&](PledgeRequest r, absl::string_view rid = "x", absl::string_view bank = "icbc") {
    absl::Status s =
        financing_->CreatePledge(Ctx(rid, absl::CivilDay(2024, 3, 1), "u"), bank, r).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return FieldOf(s).value_or("");
  };
  PledgeRequest ok = Loan("ent-a", {"L1"}, 1'000'000);
  EXPECT_EQ(field(ok, ""), "request_id");
  EXPECT_EQ(field(ok, std::string(161, 'r')), "request_id");
  EXPECT_EQ(field(ok, "x", "bad bank"), "bank");
  PledgeRequest r = ok;
  r.borrower = "";
  EXPECT_EQ(field(r), "borrower_enterprise_id");
  r = ok;
  r.lot_ids = {};
  EXPECT_EQ(field(r), "lot_ids");
  r.lot_ids = {"L1", "L1"};
  EXPECT_EQ(field(r), "lot_ids[1]");
  r.lot_ids.assign(101, "L");
  for (size_t i = 0; i < r.lot_ids.size(); ++i) r.lot_ids[i] += std::to_string(i);
  EXPECT_EQ(field(r), "lot_ids");
  r = ok;
  r.principal_minor = 0;
  EXPECT_EQ(field(r), "principal_minor");
  r = ok;
  r.currency = "cny";
  EXPECT_EQ(field(r), "currency");
  r = ok;
  r.interest_rate_bp = -1;
  EXPECT_EQ(field(r), "interest_rate_bp");
  r = ok;
  r.maturity_date = absl::CivilDay(2024, 3, 1);  // not after the business date
  EXPECT_EQ(field(r), "maturity_date");
  r = ok;
  r.max_ltv_bp = 0;
  EXPECT_EQ(field(r), "max_ltv_bp");
  r = ok;
  r.margin_call_ltv_bp = r.max_ltv_bp;
  EXPECT_EQ(field(r), "margin_call_ltv_bp");
  r.margin_call_ltv_bp = 10'001;
  EXPECT_EQ(field(r), "margin_call_ltv_bp");
  r = ok;
  r.loan_reference = std::string(257, 'x');
  EXPECT_EQ(field(r), "loan_reference");
}

// The Qingdao case in the domain: two banks race for overlapping lots, round after round.
TEST_F(FinancingTest, RacingBanksNeverShareALot) {
  constexpr int kRounds = 100;
  std::vector<inventory::Lot> lots;
  for (int i = 0; i < kRounds * 3; ++i) {
    lots.push_back(MakeLot(absl::StrCat("R", i), "D-OK", 1, "ent-b"));
  }
  Acquire("race-lots", lots);
  for (int round = 0; round < kRounds; ++round) {
    const std::string x = absl::StrCat("R", 3 * round), y = absl::StrCat("R", 3 * round + 1),
                      z = absl::StrCat("R", 3 * round + 2);
    absl::Status a_status, b_status;
    std::atomic<bool> go{false};
    std::thread a([&] {
      while (!go.load()) {
      }
      a_status = Pledge("icbc", absl::StrCat("a", round), Loan("ent-b", {x, y}, 10'000)).status();
    });
    std::thread b([&] {
      while (!go.load()) {
      }
      b_status = Pledge("boc", absl::StrCat("b", round), Loan("ent-b", {y, z}, 10'000)).status();
    });
    go.store(true);
    a.join();
    b.join();
    ASSERT_NE(a_status.ok(), b_status.ok())
        << "round " << round << ": " << a_status << " / " << b_status;
    const absl::Status& loser = a_status.ok() ? b_status : a_status;
    EXPECT_EQ(loser.code(), absl::StatusCode::kFailedPrecondition);
    EXPECT_EQ(ReasonOf(loser), why::kLotPledged);
    const std::string winner = a_status.ok() ? "bank:icbc" : "bank:boc";
    for (const std::string& id : {x, y, z}) {
      auto lot = LotNow(id);
      ASSERT_TRUE(lot.ok());
      ASSERT_LE(lot->encumbrances.size(), 1u) << id;
      bool winners = (a_status.ok() && id != z) || (b_status.ok() && id != x);
      if (winners) {
        EXPECT_EQ(lot->encumbrances[0].holder, winner) << id;
      } else {
        EXPECT_TRUE(lot->encumbrances.empty()) << id;
      }
    }
  }
}

TEST_F(FinancingTest, RepayReleasesTheLots) {
  auto p = Pledge("icbc", "p1", Loan("ent-a", {"L1", "L2"}, 100'000'000));
  ASSERT_TRUE(p.ok());
  const std::string id = p->value.pledge.id;
  // Another bank cannot see or repay it: NOT_FOUND, as if it did not exist.
  absl::Status other = financing_->RepayPledge(Ctx("r0", D(2024, 4, 1), "u"), "boc", id).status();
  EXPECT_EQ(other.code(), absl::StatusCode::kNotFound);
  EXPECT_EQ(financing_->GetPledge(Scope{"boc", ""}, id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(financing_->GetPledge(Scope{"icbc", ""}, id).ok());
  EXPECT_TRUE(financing_->GetPledge(Scope{}, id).ok());
  auto listed = financing_->ListPledges(Scope{"boc", ""}, PledgeStatus::kUnspecified, 100, "");
  ASSERT_TRUE(listed.ok());
  EXPECT_TRUE(listed->pledges.empty());

  auto repaid = financing_->RepayPledge(Ctx("r1", D(2024, 4, 1), "u"), "icbc", id);
  ASSERT_TRUE(repaid.ok()) << repaid.status();
  EXPECT_EQ(repaid->value.status, PledgeStatus::kReleased);
  EXPECT_EQ(repaid->value.end_date, absl::CivilDay(2024, 4, 1));
  EXPECT_EQ(LotNow("L1")->status, inventory::LotStatus::kInStock);
  EXPECT_TRUE(LotNow("L2")->encumbrances.empty());
  EXPECT_EQ(ReasonOf(financing_->RepayPledge(Ctx("r2", D(2024, 4, 1), "u"), "icbc", id).status()),
            why::kPledgeNotActive);
  // The lots are free again: another bank may pledge them, and inventory may move them.
  EXPECT_TRUE(Pledge("boc", "p2", Loan("ent-a", {"L1"}, 1'000'000)).ok());
  EXPECT_TRUE(inventory_->Dispatch(InvCtx("d1", D(2024, 4, 2)), "L2", "D-NO").ok());
  EXPECT_EQ(FieldOf(financing_->RepayPledge(Ctx("r3"), "icbc", "nonsense").status()), "pledge_id");
}

TEST_F(FinancingTest, EnforceAfterMaturityPassesTitleToTheBank) {
  Agreement a;
  a.id = "AG-1";
  a.enterprise_id = "ent-a";
  a.metal = "CU";
  a.committed_mass_g = 100 * kTonne;
  a.start_date = D(2024, 1, 1);
  a.end_date = D(2026, 12, 31);
  a.depot_ids = {"D-OK"};
  a.currency = "CNY";
  a.call_up_price_rule = CallUpPriceRule::kFixed;
  a.call_up_price_minor_per_t = 5'000'000;
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("ag"), a).ok());
  auto p = Pledge("icbc", "p1", Loan("ent-a", {"L1"}, 10'000'000));
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->value.pledge.agreement_id, "AG-1");
  const std::string id = p->value.pledge.id;
  absl::Status early =
      financing_->EnforcePledge(Ctx("e1", D(2024, 6, 1), "u"), "icbc", id, "missed payment")
          .status();
  EXPECT_EQ(ReasonOf(early), why::kNotInDefault);
  EXPECT_EQ(
      FieldOf(financing_->EnforcePledge(Ctx("e2", D(2025, 6, 1), "u"), "icbc", id, "").status()),
      "reason");
  auto done =
      financing_->EnforcePledge(Ctx("e3", D(2025, 6, 1), "u"), "icbc", id, "unpaid at maturity");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->value.status, PledgeStatus::kEnforced);
  auto lot = LotNow("L1");
  EXPECT_EQ(lot->owner, "bank:icbc");
  EXPECT_EQ(lot->status, inventory::LotStatus::kInStock);
  ASSERT_EQ(lot->encumbrances.size(), 1u);
  EXPECT_EQ(lot->encumbrances[0].kind, "call_up_right");
  EXPECT_EQ(lot->encumbrances[0].reference, "AG-1");
  // The stock moved to the bank's account (inventory's holdings by owner agree).
  inventory::HoldingsQuery q{{inventory::GroupKey::kOwner}, std::nullopt, "CU"};
  auto h = inventory_->GetHoldings(q);
  ASSERT_TRUE(h.ok());
  int64_t bank_g = 0;
  for (const auto& row : h->rows) {
    if (row.owner == "bank:icbc") bank_g += row.mass_g;
  }
  EXPECT_EQ(bank_g, 10 * kTonne);
  // While the state's call-up right stands, the lot cannot leave.
  inventory::ReleaseRequest release{{{"L1", 0}}, "Buyer", "REF", "", ""};
  EXPECT_EQ(inventory_->Release(InvCtx("rel", D(2025, 6, 2)), release).status().code(),
            absl::StatusCode::kFailedPrecondition);
}

class MarginTest : public FinancingTest {
 protected:
  // Three pledges of one 10 t lot each (ent-a's L1, L2 are 10 t and 20 t: use fresh lots).
  void SetUp() override {
    FinancingTest::SetUp();
    Acquire("m-lots", {MakeLot("M1", "D-OK", 10, "ent-b"), MakeLot("M2", "D-OK", 10, "ent-b"),
                       MakeLot("M3", "D-OK", 10, "ent-b")});
    // Value 60,000,000 fen each; LTV 50%, 60% and 69%; margin call at 80%.
    for (auto [lot, principal, bank] :
         {std::tuple{"M1", 30'000'000, "icbc"}, std::tuple{"M2", 36'000'000, "boc"},
          std::tuple{"M3", 41'400'000, "icbc"}}) {
      auto p = Pledge(bank, absl::StrCat("m-", lot), Loan("ent-b", {lot}, principal, 7000, 8000));
      ASSERT_TRUE(p.ok()) << p.status();
      ids_.push_back(p->value.pledge.id);
    }
  }
  std::vector<bool> InCall() {
    std::vector<bool> out;
    for (const std::string& id : ids_) out.push_back(financing_->GetPledge({}, id)->in_margin_call);
    return out;
  }
  std::vector<std::string> ids_;
};

TEST_F(MarginTest, APriceDropCallsExactlyThePledgesThatCrossed) {
  // 50,000 CNY/t: LTVs 60%, 72%, 82.8% -> only the third crosses 80%.
  ASSERT_TRUE(Mark(Price("CU", D(2024, 3, 2), 5'000'000)).ok());
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, false, true));
  // 40,000 CNY/t: 75%, 90%, 103.5% -> the second crosses now; the third stays called.
  ledger::Seq drop = Price("CU", D(2024, 3, 3), 4'000'000);
  ASSERT_TRUE(Mark(drop).ok());
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, true, true));
  EXPECT_EQ(financing_->GetPledge({}, ids_[1])->marked_ltv_bp, 9000);
  // Marking the same entry again changes nothing (exactly once).
  ASSERT_TRUE(Mark(drop).ok());
  // A back-filled old mark (dated before the current one) changes nothing either.
  ASSERT_TRUE(Mark(Price("CU", D(2020, 1, 1), 1'000'000)).ok());
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, true, true));
  // Recovery cures both, silently.
  ASSERT_TRUE(Mark(Price("CU", D(2024, 3, 4), 6'500'000)).ok());
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, false, false));

  // Each bank's stream: created, then one margin call per crossing, nothing of the other's.
  std::vector<PledgeEvent> icbc = Events("icbc");
  std::vector<std::pair<PledgeEventKind, std::string>> got;
  for (const PledgeEvent& e : icbc) got.emplace_back(e.kind, e.pledge.id);
  EXPECT_THAT(got, ::testing::ElementsAre(std::pair{PledgeEventKind::kCreated, ids_[0]},
                                          std::pair{PledgeEventKind::kCreated, ids_[2]},
                                          std::pair{PledgeEventKind::kMarginCall, ids_[2]}));
  std::vector<PledgeEvent> boc = Events("boc");
  ASSERT_EQ(boc.size(), 2u);
  EXPECT_EQ(boc[1].kind, PledgeEventKind::kMarginCall);
  EXPECT_EQ(boc[1].pledge.marked_ltv_bp, 9000);

  // Resuming after the first event gives the rest, nothing repeated.
  std::vector<PledgeEvent> rest = Events("icbc", {icbc[0].seq, icbc[0].index});
  ASSERT_EQ(rest.size(), 2u);
  EXPECT_EQ(rest[0].seq, icbc[1].seq);
  EXPECT_EQ(rest[1].seq, icbc[2].seq);

  // The trace records of each mark to market.
  auto traces = internal::ScanAll(*ledger_, "financing/mtm/", 100);
  ASSERT_TRUE(traces.ok());
  EXPECT_EQ(traces->records.size(), 4u);  // setup mark, 50k, 40k, 65k (not the back-fill)
}

TEST_F(MarginTest, TheFollowerMarksEachPriceEntryOnceAcrossRestarts) {
  auto follower = MarkToMarketFollower::Start(*ledger_, *financing_);
  ledger::Seq s1 = Price("CU", D(2024, 3, 2), 5'000'000);
  ASSERT_TRUE(follower->WaitProcessed(s1, absl::Seconds(30)));
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, false, true));
  follower->Stop();
  ledger::Seq s2 = Price("CU", D(2024, 3, 3), 4'000'000);  // while no follower runs
  follower = MarkToMarketFollower::Start(*ledger_, *financing_);
  ASSERT_TRUE(follower->WaitProcessed(s2, absl::Seconds(30)));
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, true, true));
  EXPECT_EQ(*financing_->MarkToMarketCursor(), s2);
  // Two followers at once (two processes in split mode) still mark once.
  auto second = MarkToMarketFollower::Start(*ledger_, *financing_);
  ledger::Seq s3 = Price("CU", D(2024, 3, 4), 3'000'000);
  ASSERT_TRUE(follower->WaitProcessed(s3, absl::Seconds(30)));
  ASSERT_TRUE(second->WaitProcessed(s3, absl::Seconds(30)));
  follower->Stop();
  second->Stop();
  std::vector<PledgeEvent> events = Events("icbc");
  int margin_calls = 0;
  for (const PledgeEvent& e : events) margin_calls += e.kind == PledgeEventKind::kMarginCall;
  EXPECT_EQ(margin_calls, 2);  // M3 at s1, M1 at s3 (30,000 CNY/t: 100%)
  auto traces = internal::ScanAll(*ledger_, "financing/mtm/", 100);
  EXPECT_EQ(traces->records.size(), 4u);
}

TEST_F(MarginTest, AStockCountOfAPledgedLotMovesItsCollateralInTheSameTransaction) {
  auto count = [&](const std::string& rid, const std::string& lot, int64_t counted_g) {
    return inventory_->RecordStockCount(InvCtx(rid, D(2024, 4, 1)), {lot, counted_g, "count"});
  };
  auto pledge = [&](int i) { return *financing_->GetPledge({}, ids_[i]); };

  // M1 (10 t, 30,000,000 fen at 60,000 CNY/t): 40 kg short, within tolerance, posted at once.
  auto small = count("cnt-m1", "M1", 10 * kTonne - 40'000);
  ASSERT_TRUE(small.ok()) << small.status();
  EXPECT_EQ(small->value.status, inventory::CountStatus::kPosted);
  EXPECT_EQ(pledge(0).collateral_mass_g, 10 * kTonne - 40'000);
  // 30,000,000 / (9.96 t * 6,000,000) = 50.2008% -> 5020 bp; no margin call.
  EXPECT_EQ(pledge(0).marked_ltv_bp, 5020);
  EXPECT_FALSE(pledge(0).in_margin_call);
  EXPECT_EQ(pledge(0).event_ref, "cnt-m1");
  EXPECT_EQ(LotNow("M1")->net_mass_g, 10 * kTonne - 40'000);

  // M3 (10 t, 41,400,000 fen): 1.5 t short waits for an approver and changes nothing yet.
  auto big = count("cnt-m3", "M3", 8'500'000);
  ASSERT_TRUE(big.ok()) << big.status();
  EXPECT_EQ(big->value.status, inventory::CountStatus::kPending);
  EXPECT_EQ(pledge(2).collateral_mass_g, 10 * kTonne);
  const inventory::Context approver{"ok-m3", "admin:bob", D(2024, 4, 2)};
  auto approved = inventory_->DecideStockCount(approver, "cnt-m3", true);
  ASSERT_TRUE(approved.ok()) << approved.status();
  // 41,400,000 / (8.5 t * 6,000,000) = 81.18% -> over the 80% margin-call LTV.
  EXPECT_EQ(pledge(2).collateral_mass_g, 8'500'000);
  EXPECT_EQ(pledge(2).marked_ltv_bp, 8118);
  EXPECT_TRUE(pledge(2).in_margin_call);

  // The metal turns up: counted back to 10 t (approved), the call is cured.
  ASSERT_TRUE(count("cnt-m3b", "M3", 10 * kTonne).ok());
  ASSERT_TRUE(
      inventory_->DecideStockCount({"ok-m3b", "admin:bob", D(2024, 4, 3)}, "cnt-m3b", true).ok());
  EXPECT_EQ(pledge(2).collateral_mass_g, 10 * kTonne);
  EXPECT_EQ(pledge(2).marked_ltv_bp, 6900);
  EXPECT_FALSE(pledge(2).in_margin_call);

  // A count that finds the book mass exactly changes no pledge and raises nothing.
  ASSERT_TRUE(count("cnt-m2", "M2", 10 * kTonne).ok());
  EXPECT_EQ(pledge(1).collateral_mass_g, 10 * kTonne);

  // The bank sees each change as an event on its own stream, and only its own.
  std::vector<std::tuple<PledgeEventKind, std::string, std::string, int64_t>> got;
  for (const PledgeEvent& e : Events("icbc")) {
    got.emplace_back(e.kind, e.pledge.id, e.pledge.event_ref, e.pledge.collateral_mass_g);
  }
  EXPECT_THAT(
      got, ::testing::ElementsAre(
               std::tuple{PledgeEventKind::kCreated, ids_[0], "", 10 * kTonne},
               std::tuple{PledgeEventKind::kCreated, ids_[2], "", 10 * kTonne},
               std::tuple{PledgeEventKind::kCollateralCounted, ids_[0], "cnt-m1",
                          10 * kTonne - 40'000},
               std::tuple{PledgeEventKind::kMarginCall, ids_[2], "cnt-m3", int64_t{8'500'000}},
               std::tuple{PledgeEventKind::kCollateralCounted, ids_[2], "cnt-m3b", 10 * kTonne}));
  EXPECT_EQ(Events("boc").size(), 1u);  // M2's creation only

  // Exposure and totals value the counted metal.
  auto exposure = financing_->GetExposure("icbc");
  ASSERT_TRUE(exposure.ok()) << exposure.status();
  ASSERT_EQ(exposure->rows.size(), 2u);
  EXPECT_EQ(exposure->rows[0].pledge.collateral_mass_g + exposure->rows[1].pledge.collateral_mass_g,
            20 * kTonne - 40'000);
}

// A long catch-up reads the bank's pledge histories instead of the journal: the same events,
// from every cursor, with the limit honoured.
TEST_F(MarginTest, CatchingUpThroughPledgeHistoriesGivesWhatTheJournalWalkGives) {
  // Events of every kind, some transactions writing several pledges (mark to market), others
  // none of a bank's (acquisitions between them).
  ASSERT_TRUE(Mark(Price("CU", D(2024, 3, 2), 4'000'000)).ok());  // M2, M3 called
  Acquire("filler", {MakeLot("F1", "D-OK", 10, "ent-b")});
  ASSERT_TRUE(inventory_->RecordStockCount(InvCtx("cnt-m1", D(2024, 4, 1)),
                                           {"M1", 10 * kTonne - 30'000, "count"})
                  .ok());
  ASSERT_TRUE(Mark(Price("CU", D(2024, 3, 5), 7'000'000)).ok());  // cured, silently
  ASSERT_TRUE(financing_->RepayPledge(Ctx("repay-m1", D(2024, 5, 1), "u"), "icbc", ids_[0]).ok());
  auto key = [](const PledgeEvent& e) {
    return std::tuple{e.seq, e.index, e.kind, e.pledge.id, e.pledge.collateral_mass_g,
                      e.business_date};
  };
  auto keys_of = [&](const std::vector<PledgeEvent>& events) {
    std::vector<decltype(key(events.front()))> out;
    for (const PledgeEvent& e : events) out.push_back(key(e));
    return out;
  };
  const WatchOptions walk{.walk_limit = std::numeric_limits<uint64_t>::max()};
  const WatchOptions index{.walk_limit = 0};
  const ledger::Seq head = ledger_->GetHead()->seq;
  for (const std::string bank : {"icbc", "boc", "nobody"}) {
    std::vector<PledgeEvent> all = Events(bank, {}, walk);
    EXPECT_EQ(keys_of(Events(bank, {}, index)), keys_of(all)) << bank;
    // From every event (resuming after it) and from every seq.
    for (const PledgeEvent& e : all) {
      EXPECT_EQ(keys_of(Events(bank, {e.seq, e.index}, index)),
                keys_of(Events(bank, {e.seq, e.index}, walk)))
          << bank << " after " << e.seq << "." << e.index;
    }
    for (ledger::Seq seq = 0; seq <= head; ++seq) {
      EXPECT_EQ(keys_of(Events(bank, {seq, 0}, index)), keys_of(Events(bank, {seq, 0}, walk)))
          << bank << " after " << seq;
    }
    // The limit, on both paths.
    WatchOptions two_index = index, two_walk = walk;
    two_index.max_events = two_walk.max_events = 2;
    EXPECT_EQ(keys_of(Events(bank, {}, two_index)), keys_of(Events(bank, {}, two_walk)));
  }
  std::vector<PledgeEvent> icbc = Events("icbc", {}, index);
  std::vector<PledgeEventKind> kinds;
  for (const PledgeEvent& e : icbc) kinds.push_back(e.kind);
  EXPECT_THAT(kinds, ::testing::ElementsAre(PledgeEventKind::kCreated, PledgeEventKind::kCreated,
                                            PledgeEventKind::kMarginCall,
                                            PledgeEventKind::kCollateralCounted,
                                            PledgeEventKind::kReleased));
  // Following after a catch-up through the histories goes on with new entries.
  std::vector<PledgeEvent> followed;
  WatchOptions follow = index;
  follow.follow = true;
  follow.max_events = icbc.size() + 1;
  std::thread watcher([&] {
    absl::Status s = financing_->WatchEvents(
        "icbc", {}, follow,
        [&](const PledgeEvent& e) {
          followed.push_back(e);
          return true;
        },
        [] { return false; });
    EXPECT_TRUE(s.ok()) << s;
  });
  ASSERT_TRUE(financing_->RepayPledge(Ctx("repay-m3", D(2024, 5, 2), "u"), "icbc", ids_[2]).ok());
  watcher.join();
  ASSERT_EQ(followed.size(), icbc.size() + 1);
  EXPECT_EQ(followed.back().kind, PledgeEventKind::kReleased);
  EXPECT_EQ(followed.back().pledge.id, ids_[2]);
}

// Qingdao's other half: the receipts were real, the metal was not. A count that finds
// nothing leaves the pledge worth nothing: LTV "infinite" (INT64_MAX), a margin call.
TEST_F(MarginTest, ACountThatFindsNoMetalCallsThePledge) {
  ASSERT_TRUE(inventory_->RecordStockCount(InvCtx("cnt-empty", D(2024, 4, 1)), {"M1", 0, "empty"})
                  .ok());
  ASSERT_TRUE(
      inventory_->DecideStockCount({"ok-empty", "admin:bob", D(2024, 4, 2)}, "cnt-empty", true)
          .ok());
  auto p = financing_->GetPledge({}, ids_[0]);
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->collateral_mass_g, 0);
  EXPECT_TRUE(p->in_margin_call);
  EXPECT_EQ(p->marked_ltv_bp, std::numeric_limits<int64_t>::max());
  EXPECT_EQ(Events("icbc").back().kind, PledgeEventKind::kMarginCall);
  // Default is open to the bank at once (in a margin call).
  EXPECT_TRUE(
      financing_->EnforcePledge(Ctx("enf", D(2024, 4, 3), "u"), "icbc", ids_[0], "no metal").ok());
}

TEST_F(MarginTest, WithoutTheHookACountThatWouldChangeAPledgedLotIsRefused) {
  // An inventory that cannot update pledges (no hook) must not let a lien go stale.
  auto bare = inventory::Inventory::Create(*ledger_);
  ASSERT_TRUE(bare.ok()) << bare.status();
  const ledger::Seq before = ledger_->GetHead()->seq;
  auto refused = (*bare)->RecordStockCount(InvCtx("cnt-bare", D(2024, 4, 1)),
                                           {"M1", 10 * kTonne - 40'000, "count"});
  EXPECT_EQ(ReasonOf(refused.status()), inventory::inventory_reason::kLotPledged);
  EXPECT_EQ(ledger_->GetHead()->seq, before);  // nothing written
  EXPECT_EQ(LotNow("M1")->net_mass_g, 10 * kTonne);
  // A count that finds the book mass needs no hook.
  EXPECT_TRUE(
      (*bare)->RecordStockCount(InvCtx("cnt-bare-ok", D(2024, 4, 1)), {"M1", 10 * kTonne, "count"})
          .ok());
}

// Far behind the head (here: always, walk_limit 0), the follower reads only the entries
// that wrote price marks, and marks exactly what a walk of the journal would.
TEST_F(MarginTest, AFollowerFarBehindCatchesUpThroughThePriceHistories) {
  ledger::Seq s1 = Price("CU", D(2024, 3, 2), 5'000'000);  // M3 crosses
  for (int i = 0; i < 20; ++i) {
    Acquire(absl::StrCat("gap-", i), {MakeLot(absl::StrCat("G", i), "D-OK", 1, "ent-b")});
  }
  ledger::Seq s2 = Price("CU", D(2024, 3, 3), 4'000'000);  // M2 crosses too
  for (int i = 20; i < 40; ++i) {
    Acquire(absl::StrCat("gap-", i), {MakeLot(absl::StrCat("G", i), "D-OK", 1, "ent-b")});
  }
  const ledger::Seq head = ledger_->GetHead()->seq;
  auto listed = financing_->PriceMarkEntries(1, head);
  ASSERT_TRUE(listed.ok()) << listed.status();
  EXPECT_THAT(*listed, ::testing::ElementsAre(price_seq_, s1, s2));
  EXPECT_THAT(*financing_->PriceMarkEntries(s1 + 1, head), ::testing::ElementsAre(s2));

  auto follower = MarkToMarketFollower::Start(
      *ledger_, *financing_, {.retry_backoff = absl::Milliseconds(20), .walk_limit = 0});
  ASSERT_TRUE(follower->WaitProcessed(head, absl::Seconds(30)));
  EXPECT_THAT(InCall(), ::testing::ElementsAre(false, true, true));
  EXPECT_EQ(*financing_->MarkToMarketCursor(), s2);
  // Then it follows the journal: a new mark is marked as it comes.
  ledger::Seq s3 = Price("CU", D(2024, 3, 4), 3'000'000);  // M1 crosses (100%)
  ASSERT_TRUE(follower->WaitProcessed(s3, absl::Seconds(30)));
  EXPECT_THAT(InCall(), ::testing::ElementsAre(true, true, true));
  follower->Stop();
  auto traces = internal::ScanAll(*ledger_, "financing/mtm/", 100);
  ASSERT_TRUE(traces.ok());
  EXPECT_EQ(traces->records.size(), 4u);  // setup mark, s1, s2, s3: each once
  int margin_calls = 0;
  for (const std::string bank : {"icbc", "boc"}) {
    for (const PledgeEvent& e : Events(bank)) margin_calls += e.kind == PledgeEventKind::kMarginCall;
  }
  EXPECT_EQ(margin_calls, 3);
}

TEST_F(FinancingTest, EventsRejectACursorBeyondTheJournal) {
  absl::Status s = financing_->WatchEvents(
      "icbc", {1'000'000, 0}, {}, [](const PledgeEvent&) { return true; }, [] { return false; });
  EXPECT_EQ(FieldOf(s), "after_seq");
  EXPECT_EQ(FieldOf(financing_->WatchEvents(
                "bad bank", {}, {}, [](const PledgeEvent&) { return true; }, [] { return false; })),
            "bank");
}

TEST_F(FinancingTest, ExposureAndTotals) {
  ASSERT_TRUE(Pledge("icbc", "p1", Loan("ent-a", {"L1", "L2"}, 100'000'000)).ok());
  ASSERT_TRUE(Pledge("boc", "p2", Loan("ent-b", {"L6"}, 30'000'000)).ok());
  auto e = financing_->GetExposure("icbc");
  ASSERT_TRUE(e.ok()) << e.status();
  ASSERT_EQ(e->rows.size(), 1u);
  EXPECT_TRUE(e->rows[0].priced);
  EXPECT_EQ(e->rows[0].collateral_value_minor, 180'000'000);
  EXPECT_EQ(e->rows[0].ltv_bp, 5556);
  EXPECT_EQ(e->totals["CNY"], std::make_pair(int64_t{100'000'000}, int64_t{180'000'000}));
  auto t = financing_->GetTotals();
  ASSERT_TRUE(t.ok());
  ASSERT_EQ(t->rows.size(), 1u);
  EXPECT_EQ(t->rows[0].active_pledges, 2);
  EXPECT_EQ(t->rows[0].principal_minor, 130'000'000);
  EXPECT_EQ(t->rows[0].collateral_mass_g, 40 * kTonne);
}

}  // namespace
}  // namespace reserve::commercial
