#include "services/commercial/commercial.h"

#include "gmock/gmock.h"
#include "services/commercial/test_world.h"

namespace reserve::commercial {
namespace {

using testing::D;
using testing::kTonne;
namespace why = commercial_reason;
using absl::CivilDay;

class CommercialTest : public testing::World {
 protected:
  void SetUp() override {
    World::SetUp();
    MakeDepot("D-OK", true);
    MakeDepot("D-NO", false);
    Enrol("ent-a", {"D-OK", "D-NO"});
    Enrol("ent-b", {"D-OK"});
    Price("CU", CivilDay(2024, 2, 1), 6'000'000);
    auto entries = ledger_->GetHead();
    ASSERT_TRUE(Mark(entries->seq).ok());
  }

  static Agreement AgreementAG1(bool consent = false, bool bank_first = false) {
    Agreement a;
    a.id = "AG-1";
    a.enterprise_id = "ent-a";
    a.metal = "CU";
    a.committed_mass_g = 100 * kTonne;
    a.start_date = D(2024, 3, 1);
    a.end_date = D(2024, 12, 31);
    a.depot_ids = {"D-OK"};
    a.currency = "CNY";
    a.storage_subsidy_minor_per_t_per_day = 50;  // 0.50 CNY per tonne per day
    a.interest_subsidy_bp = 300;                 // 3% a year on the financed principal
    a.call_up_notice_days = 10;
    a.call_up_price_rule = CallUpPriceRule::kFixed;
    a.call_up_price_minor_per_t = 5'000'000;
    a.pledged_lots_need_bank_consent = consent;
    a.bank_paid_first = bank_first;
    return a;
  }

  // The holding pattern the subsidy is computed by hand from (ent-a's CU in D-OK):
  //   60 t from 2024-02-20; +60 t on 03-04 (120 t); -30 t on 03-08 (90 t).
  //   50 t in D-NO (not an eligible warehouse) from 03-02: never counts.
  void HoldingPattern() {
    Acquire("h1", {MakeLot("A1", "D-OK", 60, "ent-a")}, CivilDay(2024, 2, 20));
    Acquire("h2", {MakeLot("A2", "D-OK", 60, "ent-a")}, CivilDay(2024, 3, 4));
    Acquire("h3", {MakeLot("A3", "D-NO", 50, "ent-a")}, CivilDay(2024, 3, 2));
    inventory::ReleaseRequest release{{{"A2", 30 * kTonne}}, "Buyer", "SALE-1", "", ""};
    auto r = inventory_->Release(InvCtx("h4", CivilDay(2024, 3, 8)), release);
    ASSERT_TRUE(r.ok()) << r.status();
  }

  absl::StatusOr<Mutation<PledgeResult>> PledgeA1(absl::CivilDay day = CivilDay(2024, 3, 5)) {
    return financing_->CreatePledge(Ctx("pledge-a1", day, "icbc-user"), "icbc",
                                    Loan("ent-a", {"A1"}, 100'000'000));
  }

  int64_t Balance(const std::string& account) {
    auto b = ledger_->GetBalances({account}, {});
    EXPECT_TRUE(b.ok());
    return b->balances[0].amount;
  }
};

TEST_F(CommercialTest, EnrolmentValidatesAndChecksTheCatalog) {
  Enterprise e{"ent-c", "Baiyin Nonferrous", "Gansu", {"CU"}, {"D-OK"}, {}, {}};
  auto field = [&](Enterprise x) {
    absl::Status s = commercial_->EnrolEnterprise(Ctx("e"), x).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return FieldOf(s).value_or("");
  };
  Enterprise bad = e;
  bad.id = "ent:c";
  EXPECT_EQ(field(bad), "enterprise.enterprise_id");
  bad = e;
  bad.name = "";
  EXPECT_EQ(field(bad), "enterprise.name");
  bad = e;
  bad.metals = {};
  EXPECT_EQ(field(bad), "enterprise.metals");
  bad.metals = {"cu"};
  EXPECT_EQ(field(bad), "enterprise.metals[0]");
  bad = e;
  bad.depot_ids = {"D-OK", "D-OK"};
  EXPECT_EQ(field(bad), "enterprise.depot_ids[1]");

  bad = e;
  bad.depot_ids = {"NOWHERE"};
  EXPECT_EQ(ReasonOf(commercial_->EnrolEnterprise(Ctx("e1"), bad).status()), why::kUnknownDepot);
  bad = e;
  bad.metals = {"XX"};
  EXPECT_EQ(ReasonOf(commercial_->EnrolEnterprise(Ctx("e2"), bad).status()), why::kUnknownMetal);
  auto done = commercial_->EnrolEnterprise(Ctx("e3"), e);
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->value.enrolled_date, CivilDay(2024, 3, 1));
  EXPECT_EQ(ReasonOf(commercial_->EnrolEnterprise(Ctx("e4"), e).status()), why::kEnterpriseExists);
  EXPECT_TRUE(commercial_->EnrolEnterprise(Ctx("e3"), e)->replayed);
}

TEST_F(CommercialTest, AgreementsValidateOverlapAndExtend) {
  auto field = [&](Agreement a) {
    absl::Status s = commercial_->CreateAgreement(Ctx("a"), a).status();
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << s;
    return FieldOf(s).value_or("");
  };
  Agreement bad = AgreementAG1();
  bad.committed_mass_g = 0;
  EXPECT_EQ(field(bad), "agreement.committed_mass_g");
  bad = AgreementAG1();
  bad.end_date = D(2024, 2, 1);
  EXPECT_EQ(field(bad), "agreement.end_date");
  bad = AgreementAG1();
  bad.call_up_price_rule = CallUpPriceRule::kUnspecified;
  EXPECT_EQ(field(bad), "agreement.call_up_price_rule");
  bad = AgreementAG1();
  bad.call_up_price_minor_per_t = 0;
  EXPECT_EQ(field(bad), "agreement.call_up_price_minor_per_t");
  bad = AgreementAG1();
  bad.interest_subsidy_bp = 10'001;
  EXPECT_EQ(field(bad), "agreement.interest_subsidy_bp");
  bad = AgreementAG1();
  bad.storage_subsidy_minor_per_t_per_day = -1;
  EXPECT_EQ(field(bad), "agreement.storage_subsidy_minor_per_t_per_day");
  bad = AgreementAG1();
  bad.currency = "yuan";
  EXPECT_EQ(field(bad), "agreement.currency");
  bad = AgreementAG1();
  bad.depot_ids = {};
  EXPECT_EQ(field(bad), "agreement.depot_ids");

  bad = AgreementAG1();
  bad.metal = "NI";
  EXPECT_EQ(ReasonOf(commercial_->CreateAgreement(Ctx("a1"), bad).status()),
            why::kMetalNotEnrolled);
  bad = AgreementAG1();
  bad.enterprise_id = "ent-b";
  bad.depot_ids = {"D-NO"};
  EXPECT_EQ(ReasonOf(commercial_->CreateAgreement(Ctx("a2"), bad).status()),
            why::kDepotNotEnrolled);
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a3"), AgreementAG1()).ok());
  EXPECT_EQ(ReasonOf(commercial_->CreateAgreement(Ctx("a4"), AgreementAG1()).status()),
            why::kAgreementExists);
  Agreement next = AgreementAG1();
  next.id = "AG-2";
  next.start_date = D(2024, 12, 1);
  next.end_date = D(2025, 12, 31);
  EXPECT_EQ(ReasonOf(commercial_->CreateAgreement(Ctx("a5"), next).status()),
            why::kAgreementOverlap);
  next.start_date = D(2025, 2, 1);
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a6"), next).ok());
  EXPECT_EQ(ReasonOf(commercial_->ExtendAgreement(Ctx("x1"), "AG-1", D(2024, 6, 1)).status()),
            why::kNotExtended);
  EXPECT_EQ(ReasonOf(commercial_->ExtendAgreement(Ctx("x2"), "AG-1", D(2025, 3, 1)).status()),
            why::kAgreementOverlap);
  auto ext = commercial_->ExtendAgreement(Ctx("x3"), "AG-1", D(2025, 1, 31));
  ASSERT_TRUE(ext.ok()) << ext.status();
  EXPECT_EQ(ext->value.end_date, CivilDay(2025, 1, 31));
  ASSERT_EQ(ext->value.extensions.size(), 1u);
  EXPECT_EQ(ext->value.extensions[0].previous_end, CivilDay(2024, 12, 31));
  EXPECT_EQ(commercial_->ExtendAgreement(Ctx("x4"), "AG-9", D(2025, 1, 31)).status().code(),
            absl::StatusCode::kNotFound);
}

TEST_F(CommercialTest, ComplianceIsHeldMassPerDayFromHistory) {
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a"), AgreementAG1()).ok());
  HoldingPattern();
  auto c = commercial_->GetCompliance({}, "AG-1", D(2024, 2, 28), D(2024, 3, 10));
  ASSERT_TRUE(c.ok()) << c.status();
  ASSERT_EQ(c->days.size(), 12u);  // 2024 is a leap year: Feb 28, 29, Mar 1..10
  std::vector<int64_t> held, shortfall;
  for (const ComplianceDay& d : c->days) {
    held.push_back(d.held_mass_g / kTonne);
    shortfall.push_back(d.shortfall_g / kTonne);
  }
  EXPECT_THAT(held, ::testing::ElementsAre(60, 60, 60, 60, 60, 120, 120, 120, 120, 90, 90, 90));
  EXPECT_THAT(shortfall, ::testing::ElementsAre(0, 0, 40, 40, 40, 0, 0, 0, 0, 10, 10, 10));
  EXPECT_EQ(c->days[0].committed_mass_g, 0);  // before the term
  EXPECT_EQ(c->days_in_term, 10);
  EXPECT_EQ(c->min_held_mass_g, 60 * kTonne);

  EXPECT_EQ(FieldOf(commercial_->GetCompliance({}, "AG-1", D(2024, 3, 10), D(2024, 3, 1)).status()),
            "to_date");
  EXPECT_EQ(FieldOf(commercial_->GetCompliance({}, "AG-1", D(2000, 1, 1), D(2024, 3, 1)).status()),
            "to_date");
  // An enterprise sees only its own.
  EXPECT_EQ(commercial_->GetCompliance({"", "ent-b"}, "AG-1", D(2024, 3, 1), D(2024, 3, 2))
                .status()
                .code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(commercial_->GetCompliance({"", "ent-a"}, "AG-1", D(2024, 3, 1), D(2024, 3, 2)).ok());
}

TEST_F(CommercialTest, SubsidyEqualsTheFigureComputedByHand) {
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a"), AgreementAG1()).ok());
  HoldingPattern();
  auto pledge = PledgeA1();
  ASSERT_TRUE(pledge.ok()) << pledge.status();
  ASSERT_EQ(pledge->value.pledge.agreement_id, "AG-1");

  // Storage, 2024-03-01..10, held capped at the 100 t committed, 50 fen per tonne-day:
  //   Mar 1-3: 60 t x 3 = 180 t-days; Mar 4-7: 100 t (of 120) x 4 = 400; Mar 8-10: 90 x 3 = 270
  //   850 t-days x 50 fen = 42,500 fen.
  // Interest, 300 bp a year on 1,000,000.00 CNY pledged from Mar 5: 6 days,
  //   100,000,000 fen x 6 x 300 / (10,000 x 365) = 49,315.07 -> 49,315 fen.
  auto st = commercial_->IssueStatement(Ctx("s1", D(2024, 3, 11)), "ent-a", D(2024, 3, 1),
                                        D(2024, 3, 10));
  ASSERT_TRUE(st.ok()) << st.status();
  ASSERT_EQ(st->value.lines.size(), 1u);
  const SubsidyLine& line = st->value.lines[0];
  EXPECT_EQ(line.days_in_term, 10);
  EXPECT_EQ(line.held_gram_days, 850 * kTonne);
  EXPECT_EQ(line.storage_subsidy_minor, 42'500);
  EXPECT_EQ(line.financed_minor_days, 600'000'000);
  EXPECT_EQ(line.interest_subsidy_minor, 49'315);
  EXPECT_EQ(st->value.total_minor, 91'815);
  EXPECT_EQ(st->value.id, "ent-a:20240301-20240310");
  EXPECT_EQ(st->value.status, StatementStatus::kIssued);

  // Periods are contiguous and in the past.
  EXPECT_EQ(ReasonOf(commercial_
                         ->IssueStatement(Ctx("s2", D(2024, 4, 1)), "ent-a", D(2024, 3, 12),
                                          D(2024, 3, 20))
                         .status()),
            why::kStatementPeriod);
  EXPECT_EQ(ReasonOf(commercial_
                         ->IssueStatement(Ctx("s3", D(2024, 3, 20)), "ent-a", D(2024, 3, 11),
                                          D(2024, 3, 20))
                         .status()),
            why::kPeriodNotPast);
  EXPECT_EQ(FieldOf(commercial_
                        ->IssueStatement(Ctx("s4", D(2024, 4, 1)), "ent-a", D(2024, 3, 20),
                                         D(2024, 3, 11))
                        .status()),
            "period_end");

  // Paying needs a funded budget.
  const std::string id = st->value.id;
  EXPECT_EQ(ReasonOf(commercial_->PayStatement(Ctx("pay1", D(2024, 3, 12)), id).status()),
            why::kBudgetInsufficient);
  auto funded = commercial_->FundBudget(Ctx("f1", D(2024, 3, 12)), Budget::kSubsidy, "CNY", 100'000,
                                        "2024 Q1 subsidy appropriation");
  ASSERT_TRUE(funded.ok()) << funded.status();
  EXPECT_EQ(funded->value.balance_minor, 100'000);
  auto paid = commercial_->PayStatement(Ctx("pay2", D(2024, 3, 12)), id);
  ASSERT_TRUE(paid.ok()) << paid.status();
  EXPECT_EQ(paid->value.status, StatementStatus::kPaid);
  EXPECT_EQ(ReasonOf(commercial_->PayStatement(Ctx("pay3", D(2024, 3, 12)), id).status()),
            why::kStatementPaid);
  EXPECT_EQ(commercial_->GetBudget(Budget::kSubsidy, "CNY")->balance_minor, 100'000 - 91'815);
  EXPECT_EQ(Balance("paid/subsidy/CNY/ent-a"), 91'815);
  EXPECT_EQ(FieldOf(commercial_->FundBudget(Ctx("f2"), Budget::kSubsidy, "CNY", 0, "").status()),
            "amount_minor");
  EXPECT_EQ(
      FieldOf(commercial_->FundBudget(Ctx("f3"), Budget::kUnspecified, "CNY", 1, "").status()),
      "budget");
  // Enterprise scoping of statements.
  EXPECT_EQ(commercial_->GetStatement({"", "ent-b"}, id).status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_TRUE(commercial_->GetStatement({"", "ent-a"}, id).ok());
  EXPECT_TRUE(commercial_->ListStatements({"", "ent-b"}, "ent-a", 10, "")->items.empty());
  EXPECT_EQ(commercial_->ListStatements({}, "ent-a", 10, "")->items.size(), 1u);
}

TEST_F(CommercialTest, CallUpTakesPledgedLotsWithConsentAndPaysTheBankFirst) {
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a"), AgreementAG1(true, true)).ok());
  HoldingPattern();
  Acquire("b1", {MakeLot("B1", "D-OK", 10, "ent-b")});
  auto pledge = PledgeA1();
  ASSERT_TRUE(pledge.ok()) << pledge.status();
  const std::string pid = pledge->value.pledge.id;

  CallUpRequest req{"CALL-1", "AG-1", 80 * kTonne, "NFSRA", "supply emergency"};
  EXPECT_EQ(ReasonOf(commercial_->IssueCallUp(Ctx("c0", D(2025, 2, 1)), req).status()),
            why::kOutsideTerm);
  CallUpRequest too_much = req;
  too_much.quantity_g = 101 * kTonne;
  EXPECT_EQ(ReasonOf(commercial_->IssueCallUp(Ctx("c1", D(2024, 3, 12)), too_much).status()),
            why::kAboveCommitment);
  CallUpRequest bad = req;
  bad.state_owner = "";
  EXPECT_EQ(FieldOf(commercial_->IssueCallUp(Ctx("c2", D(2024, 3, 12)), bad).status()),
            "state_owner");
  auto call = commercial_->IssueCallUp(Ctx("c3", D(2024, 3, 12)), req);
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_EQ(call->value.due_date, CivilDay(2024, 3, 22));
  EXPECT_EQ(call->value.price_minor_per_t, 5'000'000);
  EXPECT_THAT(call->value.affected_pledge_ids, ::testing::ElementsAre(pid));
  EXPECT_EQ(ReasonOf(commercial_->IssueCallUp(Ctx("c4", D(2024, 3, 12)), req).status()),
            why::kCallUpExists);

  // The pledged lot waits for its bank's consent.
  EXPECT_EQ(
      ReasonOf(commercial_->RecordDelivery(Ctx("d1", D(2024, 3, 15)), "CALL-1", {"A1"}).status()),
      why::kBankConsentRequired);
  EXPECT_EQ(
      ReasonOf(commercial_->RecordDelivery(Ctx("d2", D(2024, 3, 15)), "CALL-1", {"B1"}).status()),
      why::kLotNotCallable);
  EXPECT_EQ(
      ReasonOf(financing_->ConsentToCallUp(Ctx("k0", D(2024, 3, 13), "u"), "icbc", pid, "CALL-9")
                   .status()),
      why::kNotAffected);
  ASSERT_TRUE(
      financing_->ConsentToCallUp(Ctx("k1", D(2024, 3, 13), "u"), "icbc", pid, "CALL-1").ok());
  EXPECT_EQ(
      ReasonOf(commercial_->RecordDelivery(Ctx("d3", D(2024, 3, 15)), "CALL-1", {"A1"}).status()),
      why::kBudgetInsufficient);
  ASSERT_TRUE(commercial_
                  ->FundBudget(Ctx("f", D(2024, 3, 14)), Budget::kCallUp, "CNY", 1'000'000'000,
                               "emergency purchase")
                  .ok());
  // 60 t at 50,000 CNY/t = 3,000,000 CNY: the bank's 1,000,000 first, the rest to ent-a.
  auto d = commercial_->RecordDelivery(Ctx("d4", D(2024, 3, 15)), "CALL-1", {"A1"});
  ASSERT_TRUE(d.ok()) << d.status();
  ASSERT_EQ(d->value.deliveries.size(), 1u);
  EXPECT_EQ(d->value.deliveries[0].paid_to_bank_minor, 100'000'000);
  EXPECT_EQ(d->value.deliveries[0].bank, "icbc");
  EXPECT_EQ(d->value.deliveries[0].paid_to_enterprise_minor, 200'000'000);
  EXPECT_FALSE(d->value.deliveries[0].late);
  EXPECT_EQ(d->value.status, CallUpStatus::kOpen);
  EXPECT_EQ(Balance("paid/call-up/CNY/bank:icbc"), 100'000'000);
  EXPECT_EQ(Balance("paid/call-up/CNY/ent-a"), 200'000'000);
  auto lot = LotNow("A1");
  EXPECT_EQ(lot->owner, "NFSRA");
  EXPECT_EQ(lot->reserve_class, inventory::ReserveClass::kCentral);
  EXPECT_TRUE(lot->encumbrances.empty());
  auto p = financing_->GetPledge({}, pid);
  EXPECT_EQ(p->status, PledgeStatus::kReleased);
  EXPECT_EQ(p->principal_minor, 0);

  // The rest (A2, 30 t) arrives late and fulfils the call-up.
  auto late = commercial_->RecordDelivery(Ctx("d5", D(2024, 3, 25)), "CALL-1", {"A2"});
  ASSERT_TRUE(late.ok()) << late.status();
  EXPECT_EQ(late->value.status, CallUpStatus::kFulfilled);
  EXPECT_EQ(late->value.delivered_g, 90 * kTonne);
  EXPECT_EQ(late->value.delivered_late_g, 30 * kTonne);
  EXPECT_EQ(
      ReasonOf(commercial_->RecordDelivery(Ctx("d6", D(2024, 3, 26)), "CALL-1", {"A3"}).status()),
      why::kCallUpFulfilled);

  // The bank heard of it all: created, call-up, released.
  std::vector<PledgeEventKind> kinds;
  absl::Status watched = financing_->WatchEvents(
      "icbc", {}, {},
      [&](const PledgeEvent& e) {
        kinds.push_back(e.kind);
        return true;
      },
      [] { return false; });
  ASSERT_TRUE(watched.ok()) << watched;
  EXPECT_THAT(kinds, ::testing::ElementsAre(PledgeEventKind::kCreated, PledgeEventKind::kCallUp,
                                            PledgeEventKind::kReleased));
  // Enterprises see only their own call-ups.
  EXPECT_EQ(commercial_->GetCallUp({"", "ent-b"}, "CALL-1").status().code(),
            absl::StatusCode::kNotFound);
  EXPECT_EQ(commercial_->ListCallUps({"", "ent-a"}, "", 10, "")->items.size(), 1u);
  EXPECT_TRUE(commercial_->ListCallUps({"", "ent-b"}, "", 10, "")->items.empty());
}

TEST_F(CommercialTest, CallUpReachesLotsTakenOnDefaultAndRightsLapseAfterTheTerm) {
  ASSERT_TRUE(commercial_->CreateAgreement(Ctx("a"), AgreementAG1()).ok());
  HoldingPattern();
  std::vector<std::string> ids;
  for (auto [lot, principal] : {std::pair{"A1", 248'000'000}, std::pair{"A2", 124'000'000}}) {
    auto p = financing_->CreatePledge(Ctx(absl::StrCat("p-", lot), D(2024, 3, 10), "u"), "icbc",
                                      Loan("ent-a", {lot}, principal, 7000, 8000));
    ASSERT_TRUE(p.ok()) << p.status();
    ids.push_back(p->value.pledge.id);
  }
  // 50,000 CNY/t: both LTVs pass 80%; the bank may enforce during the term.
  ASSERT_TRUE(Mark(Price("CU", D(2024, 3, 20), 5'000'000)).ok());
  for (const std::string& id : ids) {
    auto e = financing_->EnforcePledge(Ctx(absl::StrCat("en-", id), D(2024, 4, 1), "u"), "icbc", id,
                                       "margin call not met");
    ASSERT_TRUE(e.ok()) << e.status();
  }
  EXPECT_EQ(LotNow("A1")->owner, "bank:icbc");
  ASSERT_EQ(LotNow("A2")->encumbrances.size(), 1u);  // the state's call-up right

  // A call-up reaches the bank's lots: the bank, now the owner, is paid in full.
  ASSERT_TRUE(commercial_
                  ->FundBudget(Ctx("f", D(2024, 4, 2)), Budget::kCallUp, "CNY", 1'000'000'000,
                               "emergency purchase")
                  .ok());
  auto call = commercial_->IssueCallUp(Ctx("c", D(2024, 4, 2)),
                                       {"CALL-2", "AG-1", 50 * kTonne, "NFSRA", "emergency"});
  ASSERT_TRUE(call.ok()) << call.status();
  EXPECT_THAT(call->value.affected_pledge_ids, ::testing::UnorderedElementsAreArray(ids));
  auto d = commercial_->RecordDelivery(Ctx("d", D(2024, 4, 5)), "CALL-2", {"A1"});
  ASSERT_TRUE(d.ok()) << d.status();
  EXPECT_EQ(d->value.deliveries[0].bank, "icbc");
  EXPECT_EQ(d->value.deliveries[0].paid_to_bank_minor, 300'000'000);
  EXPECT_EQ(d->value.deliveries[0].paid_to_enterprise_minor, 0);
  EXPECT_EQ(LotNow("A1")->owner, "NFSRA");

  // The right on A2 holds until the term ends; then the admin lifts it and the bank is free.
  inventory::ReleaseRequest sale{{{"A2", 0}}, "Trader", "BANK-SALE", "", ""};
  EXPECT_EQ(inventory_->Release(InvCtx("sale-1", D(2025, 1, 5)), sale).status().code(),
            absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(commercial_->LiftCallUpRights(Ctx("l0", D(2024, 6, 1)), "AG-1").status()),
            why::kAgreementInTerm);
  auto lifted = commercial_->LiftCallUpRights(Ctx("l1", D(2025, 1, 2)), "AG-1");
  ASSERT_TRUE(lifted.ok()) << lifted.status();
  EXPECT_THAT(lifted->value, ::testing::ElementsAre("A2"));
  EXPECT_TRUE(inventory_->Release(InvCtx("sale-2", D(2025, 1, 5)), sale).ok());
}

}  // namespace
}  // namespace reserve::commercial
