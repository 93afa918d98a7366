#include "clients/reservectl/output.h"

#include <gtest/gtest.h>

#include <sstream>

#include "clients/reservectl/client.h"
#include "clients/reservectl/lot_fields.h"

namespace reserve::ctl {
namespace {

Columns<v1::Lot> TestColumns() {
  return {{"lot_id", [](const v1::Lot& l) { return l.lot_id(); }},
          {"net_t", [](const v1::Lot& l) { return Tonnes(l.net_mass_g()); }, Align::kRight}};
}

google::protobuf::RepeatedPtrField<v1::Lot> TwoLots() {
  google::protobuf::RepeatedPtrField<v1::Lot> lots;
  v1::Lot* a = lots.Add();
  a->set_lot_id("CU-1");
  a->set_net_mass_g(25'125'000);
  v1::Lot* b = lots.Add();
  b->set_lot_id("AL,\"2\"");
  b->set_net_mass_g(250'000'000);
  return lots;
}

TEST(OutputTest, TextIsAligned) {
  std::ostringstream out;
  PrintText(MakeTable(TestColumns(), TwoLots()), out);
  EXPECT_EQ(out.str(),
            "lot_id    net_t\n"
            "CU-1     25.125\n"
            "AL,\"2\"  250.000\n");
}

TEST(OutputTest, ChineseNamesLineUp) {
  Columns<v1::Metal> cols = {{"name_zh", [](const v1::Metal& m) { return m.name_zh(); }},
                             {"code", [](const v1::Metal& m) { return m.code(); }}};
  google::protobuf::RepeatedPtrField<v1::Metal> metals;
  metals.Add()->set_name_zh("铜");
  metals.Add()->set_name_zh("稀土氧化物");
  metals[0].set_code("CU");
  metals[1].set_code("REO");
  std::ostringstream out;
  PrintText(MakeTable(cols, metals), out);
  EXPECT_EQ(out.str(),
            "name_zh     code\n"
            "铜          CU\n"
            "稀土氧化物  REO\n");
}

TEST(OutputTest, CsvQuotes) {
  std::ostringstream out;
  PrintCsv(MakeTable(TestColumns(), TwoLots()), out);
  EXPECT_EQ(out.str(), "lot_id,net_t\r\nCU-1,25.125\r\n\"AL,\"\"2\"\"\",250.000\r\n");
}

TEST(OutputTest, JsonUsesProtoFieldNames) {
  v1::Lot lot;
  lot.set_lot_id("CU-1");
  lot.set_net_mass_g(25'125'000);
  std::ostringstream out;
  Emit(Format::kJson, lot, Table(), out);
  EXPECT_NE(out.str().find("\"net_mass_g\": \"25125000\""), std::string::npos) << out.str();
}

TEST(OutputTest, EmptyTableSaysNone) {
  std::ostringstream out;
  PrintText(MakeTable(TestColumns(), google::protobuf::RepeatedPtrField<v1::Lot>()), out);
  EXPECT_EQ(out.str(), "lot_id  net_t\n(none)\n");
}

TEST(OutputTest, EnumsByShortName) {
  EXPECT_EQ(*ParseEnum(v1::ReserveClass_descriptor(), "central"), v1::RESERVE_CLASS_CENTRAL);
  EXPECT_EQ(*ParseEnum(v1::LotStatus_descriptor(), "in-transit"), v1::LOT_STATUS_IN_TRANSIT);
  EXPECT_EQ(*ParseEnum(v1::LotStatus_descriptor(), "LOT_STATUS_IN_STOCK"), v1::LOT_STATUS_IN_STOCK);
  EXPECT_EQ(ParseEnum(v1::ReserveClass_descriptor(), "unspecified").status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(EnumName(v1::DepotKind_descriptor(), v1::DEPOT_KIND_COMMERCIAL), "commercial");
  EXPECT_EQ(EnumChoices(v1::ReserveClass_descriptor()), "central|local|commercial");
}

TEST(OutputTest, DatesAndRequestIds) {
  EXPECT_EQ(FormatDate(*ParseDate("2025-12-31")), "2025-12-31");
  EXPECT_EQ(ParseDate("2025-02-30").status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ParseDate("2025-1-01").status().code(), absl::StatusCode::kInvalidArgument);
  const std::string a = NewRequestId();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_NE(a, NewRequestId());
}

TEST(OutputTest, ErrorLineNamesCodeReasonAndField) {
  absl::Status s = absl::FailedPreconditionError("lot L-123 is in transit");
  s.SetPayload("type.reserve/reason", absl::Cord("LOT_IN_TRANSIT"));
  EXPECT_EQ(ErrorLine(s), "error: FAILED_PRECONDITION (LOT_IN_TRANSIT): lot L-123 is in transit");
  absl::Status f = absl::InvalidArgumentError("must be at least 1");
  f.SetPayload("type.reserve/field", absl::Cord("lots[0].pieces"));
  EXPECT_EQ(ErrorLine(f), "error: INVALID_ARGUMENT (field lots[0].pieces): must be at least 1");
}

TEST(LotFieldsTest, FlagsAndColumnsShareOneTable) {
  auto lot = LotFromFields({{"metal", "cu"},
                            {"net_mass_t", "25.125"},
                            {"cost", "1500000.50"},
                            {"reserve_class", "central"},
                            {"pieces", "10"}},
                           2025);
  ASSERT_TRUE(lot.ok()) << lot.status();
  EXPECT_EQ(lot->metal(), "CU");
  EXPECT_EQ(lot->net_mass_g(), 25'125'000);
  EXPECT_EQ(lot->gross_mass_g(), 25'125'000);
  EXPECT_EQ(lot->cost_minor(), 150'000'050);
  EXPECT_EQ(lot->currency(), "CNY");
  EXPECT_EQ(lot->year_stored(), 2025);
  EXPECT_EQ(lot->reserve_class(), v1::RESERVE_CLASS_CENTRAL);
  EXPECT_EQ(LotFromFields({{"net_mass_t", "1.1234567"}}, 2025).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LotFromFields({{"net_mass_t", "1"}, {"net_mass_g", "1"}}, 2025).status().code(),
            absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(LotFromFields({{"colour", "red"}}, 2025).status().code(),
            absl::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace reserve::ctl
