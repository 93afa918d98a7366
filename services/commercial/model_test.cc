#include "services/commercial/model.h"

#include "gtest/gtest.h"

namespace reserve::commercial {
namespace {

absl::CivilDay D(int y, int m, int d) { return absl::CivilDay(y, m, d); }

TEST(ModelTest, PledgeRoundTripsThroughItsStoredForm) {
  Pledge p;
  p.id = "icbc:0123456789abcdef0123456789abcdef";
  p.bank = "icbc";
  p.borrower = "ent-a";
  p.agreement_id = "AG-1";
  p.lot_ids = {"L1", "L2"};
  p.metal = "CU";
  p.currency = "CNY";
  p.collateral_mass_g = 30'000'000;
  p.principal_minor = 100'000'000;
  p.interest_rate_bp = 450;
  p.start_date = D(2024, 3, 1);
  p.maturity_date = D(2025, 3, 1);
  p.max_ltv_bp = 7000;
  p.margin_call_ltv_bp = 8500;
  p.loan_reference = "LOAN \"1\"";
  p.status = PledgeStatus::kEnforced;
  p.in_margin_call = true;
  p.marked_ltv_bp = 9000;
  p.end_date = absl::CivilDay(2025, 4, 1);
  p.call_up_ids = {"CALL-1"};
  p.consented_call_up_ids = {"CALL-1"};
  p.principal_history = {{D(2024, 3, 1), 100'000'000}, {D(2024, 9, 1), 0}};
  p.request_fp = "ff";
  p.event = PledgeEventKind::kMarginCall;
  p.event_ref = "x";
  auto back = DecodePledge(EncodePledge(p));
  ASSERT_TRUE(back.ok()) << back.status();
  EXPECT_EQ(*back, p);
}

TEST(ModelTest, OtherRecordsRoundTrip) {
  Agreement a;
  a.id = "AG-1";
  a.start_date = D(2024, 1, 1);
  a.end_date = D(2024, 12, 31);
  a.call_up_price_rule = CallUpPriceRule::kMarket;
  a.extensions = {{D(2024, 6, 1), D(2024, 6, 30), D(2024, 12, 31)}};
  EXPECT_EQ(*DecodeAgreement(EncodeAgreement(a)), a);
  Enterprise e{"ent-a", "A", "Gansu", {"CU"}, {"D1"}, D(2024, 1, 1), absl::CivilDay(2024, 3, 31)};
  EXPECT_EQ(*DecodeEnterprise(EncodeEnterprise(e)), e);
  e.subsidised_through.reset();
  EXPECT_EQ(*DecodeEnterprise(EncodeEnterprise(e)), e);
  CallUp c;
  c.id = "C";
  c.status = CallUpStatus::kFulfilled;
  c.deliveries = {{"L1", 5, D(2024, 3, 1), true, 1, "icbc", 2}};
  EXPECT_EQ(*DecodeCallUp(EncodeCallUp(c)), c);
  SubsidyStatement s;
  s.id = "ent-a:20240101-20240131";
  s.status = StatementStatus::kPaid;
  s.paid_date = absl::CivilDay(2024, 2, 2);
  s.lines = {{"AG-1", "CU", 31, 5, 6, 7, 8}};
  EXPECT_EQ(*DecodeStatement(EncodeStatement(s)), s);
  MarkToMarketRecord r{7, {{"CU", "CNY", D(2024, 1, 1), 5, 7}}, 3, {"a"}, {"b"}};
  EXPECT_EQ(*DecodeMarkToMarket(EncodeMarkToMarket(r)), r);
  AgreementIndex i{{{"AG-1", D(2024, 1, 1), D(2024, 12, 31), {"D1"}}}};
  EXPECT_EQ(*DecodeAgreementIndex(EncodeAgreementIndex(i)), i);
}

TEST(ModelTest, CorruptRecordsAreDataLoss) {
  for (const char* bad :
       {"", "{", "[]x", "{\"status\":\"flying\"}", "{\"start_date\":\"2024-02-30\"}",
        "{\"principal_minor\":\"many\"}", "{\"lot_ids\":7}"}) {
    EXPECT_EQ(DecodePledge(bad).status().code(), absl::StatusCode::kDataLoss) << bad;
  }
  EXPECT_EQ(DecodeAgreement("{\"call_up_price_rule\":\"free\"}").status().code(),
            absl::StatusCode::kDataLoss);
}

}  // namespace
}  // namespace reserve::commercial
