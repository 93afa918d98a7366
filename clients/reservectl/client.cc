#include "clients/reservectl/client.h"

#include <google/protobuf/descriptor.h>
#include <grpcpp/create_channel.h>
#include <openssl/rand.h>

#include <cstdio>
#include <cstdlib>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/str_split.h"
#include "absl/time/civil_time.h"
#include "services/common/credentials.h"
#include "storage/errors.h"

namespace reserve::ctl {

absl::StatusOr<std::unique_ptr<Connection>> Connection::Open(const GlobalOptions& options) {
  ClientAuth auth;
  auth.token = options.token;
  if (auth.token.empty() && !options.token_file.empty()) {
    absl::StatusOr<std::string> token = ReadTokenFile(options.token_file);
    if (!token.ok()) {
      return token.status();
    }
    auth.token = *token;
  }
  if (auth.token.empty()) {
    if (const char* env = std::getenv("RESERVE_TOKEN"); env != nullptr) auth.token = env;
  }
  struct FileFlag {
    const std::string& path;
    std::string* pem;
  };
  for (const FileFlag& f : {FileFlag{options.ca, &auth.ca}, FileFlag{options.cert, &auth.cert},
                            FileFlag{options.key, &auth.key}}) {
    if (f.path.empty()) continue;
    absl::StatusOr<std::string> pem = ReadSmallFile(f.path);
    if (!pem.ok()) {
      return pem.status();
    }
    *f.pem = *pem;
  }
  absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> credentials =
      MakeChannelCredentials(auth);
  if (!credentials.ok()) {
    return credentials.status();
  }
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(kMaxResponseBytes);
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(options.address, *credentials, args);
  auto connection =
      std::unique_ptr<Connection>(new Connection(auth.token, std::max(1, options.timeout_s)));
  connection->stubs_ = {
      v1::InventoryService::NewStub(channel), v1::IdentityService::NewStub(channel),
      v1::DecisionService::NewStub(channel), v1::CommercialReserveService::NewStub(channel),
      v1::FinancingService::NewStub(channel)};
  return connection;
}

void Connection::Prepare(grpc::ClientContext* context) const {
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(timeout_s_));
  if (!token_.empty()) {
    AttachToken(token_, context);
  }
}

std::unique_ptr<grpc::ClientContext> Connection::StreamContext(bool follow) const {
  auto context = std::make_unique<grpc::ClientContext>();
  if (follow) {
    if (!token_.empty()) AttachToken(token_, context.get());
  } else {
    Prepare(context.get());
  }
  return context;
}

std::string ErrorLine(const absl::Status& status) {
  std::string line = absl::StrCat("error: ", absl::StatusCodeToString(status.code()));
  std::optional<std::string> reason = ReasonOf(status);
  std::optional<std::string> field = FieldOf(status);
  if (reason && field) {
    absl::StrAppend(&line, " (", *reason, ", field ", *field, ")");
  } else if (reason) {
    absl::StrAppend(&line, " (", *reason, ")");
  } else if (field) {
    absl::StrAppend(&line, " (field ", *field, ")");
  }
  absl::StrAppend(&line, ": ", status.message().empty() ? "(no message)" : status.message());
  return line;
}

std::string NewRequestId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof(b)) != 1) {
    // Without randomness there is no safe id; retries would collide. Never expected.
    std::fputs("error: INTERNAL: RAND_bytes failed\n", stderr);
    std::abort();
  }
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  return absl::StrFormat("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11],
                         b[12], b[13], b[14], b[15]);
}

absl::StatusOr<v1::Date> ParseDate(absl::string_view text) {
  absl::CivilDay day;
  std::vector<absl::string_view> parts = absl::StrSplit(text, '-');
  int y = 0, m = 0, d = 0;
  if (parts.size() != 3 || parts[0].size() != 4 || parts[1].size() != 2 || parts[2].size() != 2 ||
      !absl::SimpleAtoi(parts[0], &y) || !absl::SimpleAtoi(parts[1], &m) ||
      !absl::SimpleAtoi(parts[2], &d)) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a date (YYYY-MM-DD)"));
  }
  day = absl::CivilDay(y, m, d);
  if (day.year() != y || day.month() != m || day.day() != d) {
    return absl::InvalidArgumentError(absl::StrCat("'", text, "' is not a calendar date"));
  }
  v1::Date out;
  out.set_year(y);
  out.set_month(m);
  out.set_day(d);
  return out;
}

std::string FormatDate(const v1::Date& date) {
  if (date.year() == 0) return "";
  return absl::StrFormat("%04d-%02d-%02d", date.year(), date.month(), date.day());
}

namespace {

// "RESERVE_CLASS_CENTRAL" -> "central" given the common prefix "RESERVE_CLASS_".
std::string ShortName(const google::protobuf::EnumDescriptor* descriptor, const std::string& full) {
  // The prefix is the name of the zero value without "UNSPECIFIED".
  std::string prefix = descriptor->value_count() > 0 ? descriptor->value(0)->name() : "";
  if (absl::EndsWith(prefix, "UNSPECIFIED")) {
    prefix.resize(prefix.size() - std::string("UNSPECIFIED").size());
  }
  std::string out = absl::StartsWith(full, prefix) ? full.substr(prefix.size()) : full;
  absl::AsciiStrToLower(&out);
  return out;
}

}  // namespace

absl::StatusOr<int> ParseEnum(const google::protobuf::EnumDescriptor* descriptor,
                              absl::string_view text) {
  std::string wanted = absl::AsciiStrToLower(text);
  absl::StrReplaceAll({{"-", "_"}}, &wanted);
  for (int i = 0; i < descriptor->value_count(); ++i) {
    const google::protobuf::EnumValueDescriptor* v = descriptor->value(i);
    if (v->number() == 0) continue;
    if (ShortName(descriptor, v->name()) == wanted || absl::AsciiStrToLower(v->name()) == wanted) {
      return v->number();
    }
  }
  return absl::InvalidArgumentError(
      absl::StrCat("'", text, "' is not one of ", EnumChoices(descriptor)));
}

std::string EnumName(const google::protobuf::EnumDescriptor* descriptor, int value) {
  const google::protobuf::EnumValueDescriptor* v = descriptor->FindValueByNumber(value);
  if (v == nullptr) return absl::StrCat(value);
  if (v->number() == 0) return "";
  return ShortName(descriptor, v->name());
}

std::string EnumChoices(const google::protobuf::EnumDescriptor* descriptor) {
  std::vector<std::string> names;
  for (int i = 0; i < descriptor->value_count(); ++i) {
    if (descriptor->value(i)->number() == 0) continue;
    names.push_back(ShortName(descriptor, descriptor->value(i)->name()));
  }
  return absl::StrJoin(names, "|");
}

}  // namespace reserve::ctl
