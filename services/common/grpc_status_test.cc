#include "services/common/grpc_status.h"

#include "gtest/gtest.h"
#include "storage/errors.h"

namespace reserve {
namespace {

TEST(GrpcStatusTest, OkRoundTrips) {
  EXPECT_TRUE(ToGrpcStatus(absl::OkStatus()).ok());
  EXPECT_TRUE(FromGrpcStatus(grpc::Status::OK).ok());
}

TEST(GrpcStatusTest, ReasonSurvivesRoundTrip) {
  absl::Status original = Precondition("INSUFFICIENT_BALANCE", "not enough copper");
  grpc::Status wire = ToGrpcStatus(original);
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_EQ(wire.error_message(), "not enough copper");
  EXPECT_FALSE(wire.error_details().empty());
  absl::Status back = FromGrpcStatus(wire);
  EXPECT_EQ(back.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(back.message(), "not enough copper");
  EXPECT_EQ(ReasonOf(back), "INSUFFICIENT_BALANCE");
  EXPECT_EQ(FieldOf(back), std::nullopt);
}

TEST(GrpcStatusTest, FieldSurvivesRoundTrip) {
  absl::Status back = FromGrpcStatus(ToGrpcStatus(InvalidField("postings[2].amount", "zero")));
  EXPECT_EQ(back.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(FieldOf(back), "postings[2].amount");
  EXPECT_EQ(ReasonOf(back), std::nullopt);
}

TEST(GrpcStatusTest, EveryCodeMapsOneToOne) {
  for (int code = 1; code <= 16; ++code) {
    absl::Status status(static_cast<absl::StatusCode>(code), "m");
    grpc::Status wire = ToGrpcStatus(status);
    EXPECT_EQ(static_cast<int>(wire.error_code()), code);
    EXPECT_EQ(static_cast<int>(FromGrpcStatus(wire).code()), code);
    EXPECT_TRUE(wire.error_details().empty());
  }
}

TEST(GrpcStatusTest, InternalDetailIsNotSent) {
  grpc::Status wire = ToGrpcStatus(absl::InternalError("rocksdb: corruption in /secret/path"));
  EXPECT_EQ(wire.error_code(), grpc::StatusCode::INTERNAL);
  EXPECT_EQ(wire.error_message().find("/secret/path"), std::string::npos);
}

TEST(GrpcStatusTest, GarbageDetailsAreIgnored) {
  absl::Status back =
      FromGrpcStatus(grpc::Status(grpc::StatusCode::ABORTED, "conflict", "\xff\xff\xff"));
  EXPECT_EQ(back.code(), absl::StatusCode::kAborted);
  EXPECT_EQ(ReasonOf(back), std::nullopt);
}

}  // namespace
}  // namespace reserve
