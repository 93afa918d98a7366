// The one set of helpers every reservectl command file uses (commands.cc, decision_commands.cc,
// auction_commands.cc, commercial_commands.cc, financing_commands.cc, demo.cc): leaf
// registration, one call through the session's connection, mutation and paging flags, and flag
// values (money, mass, dates, enums, KEY=VALUE, files) turned into a usage error that names
// the flag. A leaf's body then reads: flags -> request, kit::Call, s.Fail or s.Print.
#ifndef RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_
#define RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_

#include <google/protobuf/generated_enum_reflection.h>

#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/reservectl/client.h"
#include "clients/reservectl/commands.h"

namespace reserve::ctl::kit {

// Bounds `--all`: 10,000 pages of up to 1,000 rows is far beyond any real store.
inline constexpr int kMaxPagesFollowed = 10'000;
// Files read whole (lot batches, price marks, market data); larger is not one request.
inline constexpr size_t kMaxInputFileBytes = 64 * 1024 * 1024;

// ---- Leaves and calls ----

// Registers a leaf command; its callback records `action` as the body to run after parsing.
CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Action* chosen, Action action);

// A unary RPC of any service: &v1::InventoryService::Stub::GetLot.
template <typename Stub, typename Req, typename Resp>
using Method = grpc::Status (Stub::*)(grpc::ClientContext*, const Req&, Resp*);

// One call through the session's connection (opened on first use), with the deadline and
// token; the server's status with its reason and field (print it with Session::Fail).
template <typename Stub, typename Req, typename Resp>
absl::StatusOr<Resp> Call(Session& s, Method<Stub, Req, Resp> method, const Req& request) {
  absl::StatusOr<Connection*> c = s.connection();
  if (!c.ok()) return c.status();
  Resp response;
  if (absl::Status st = (*c)->Call(method, request, &response); !st.ok()) return st;
  return response;
}

// A leaf `<name> <id_name>` that shows one object: the positional id goes into the request's
// `id` field, one call, and the response prints as field/value rows of `columns`.
template <typename Stub, typename Req, typename Resp>
CLI::App* ShowLeaf(CLI::App* parent, const std::string& name, const std::string& description,
                   Action* chosen, Method<Stub, Req, Resp> method, std::string* (Req::*id)(),
                   const std::string& id_name, const std::string& id_help, Columns<Resp> columns) {
  auto value = std::make_shared<std::string>();
  CLI::App* leaf = Leaf(parent, name, description, chosen, [=](Session& s) {
    Req request;
    *(request.*id)() = *value;
    absl::StatusOr<Resp> r = Call(s, method, request);
    if (!r.ok()) return s.Fail(r.status());
    return s.Print(*r, MakeTable(columns, *r), {true, ""});
  });
  leaf->add_option(id_name, *value, id_help)->required();
  return leaf;
}

// One object with its lines (a statement and its lines, a call-up and its deliveries): JSON
// prints `response` once; text and CSV print `object` as field/value rows, then `lines` and
// (text) the `trailer`. Returns kExitOk.
int PrintWithLines(Session& s, const google::protobuf::Message& response, const Table& object,
                   const Table& lines, const std::string& trailer);

// ---- Mutations ----

// --request-id, and --date on requests with a business date.
struct MutationFlags {
  std::string request_id;
  std::string date;
};

// `with_date`: the request has a business date (catalog, depot and settings changes do not).
void AddMutationFlags(CLI::App* cmd, MutationFlags* flags, bool with_date = true);

// Fills request_id (a fresh one when not given) and business_date (when the request has one
// and --date was given). INVALID_ARGUMENT "--date: ..." on a bad date.
template <typename Req>
absl::Status ApplyMutationFlags(const MutationFlags& flags, Req* request) {
  request->set_request_id(flags.request_id.empty() ? NewRequestId() : flags.request_id);
  if constexpr (requires { request->mutable_business_date(); }) {
    if (!flags.date.empty()) {
      absl::StatusOr<v1::Date> date = ParseDate(flags.date);
      if (!date.ok()) {
        return absl::InvalidArgumentError(absl::StrCat("--date: ", date.status().message()));
      }
      *request->mutable_business_date() = *date;
    }
  }
  return absl::OkStatus();
}

// "committed: seq N", or "replayed: seq N (...)" for an idempotent retry.
std::string CommitLine(const v1::CommitInfo& commit);

// ---- Paging ----

struct PageFlags {
  int page_size = 0;
  std::string page_token;
  bool all = false;
};

// --page-size and --page-token; with `with_all` also --all (follow every page).
void AddPageFlags(CLI::App* cmd, PageFlags* flags, bool with_all = true);

// "more: --page-token T", or "" when there are no more pages.
std::string MoreLine(const std::string& token);

// Calls a paged List method, following tokens with --all; the pages merged into one response.
template <typename Stub, typename Req, typename Resp>
absl::StatusOr<Resp> ListPages(Session& s, Method<Stub, Req, Resp> method, Req request,
                               const PageFlags& flags) {
  request.set_page_size(flags.page_size);
  request.set_page_token(flags.page_token);
  Resp merged;
  for (int page = 0; page < kMaxPagesFollowed; ++page) {
    absl::StatusOr<Resp> r = Call(s, method, request);
    if (!r.ok()) return r.status();
    const std::string next = r->next_page_token();
    merged.MergeFrom(*r);
    merged.set_next_page_token(next);
    if (!flags.all || next.empty()) break;
    request.set_page_token(next);
  }
  return merged;
}

// ---- Flag values: each INVALID_ARGUMENT "<flag>: <why>" (a usage error) ----

absl::Status FlagError(absl::string_view flag, const absl::Status& status);
// Money in major units, at most 2 decimals ("1700000.00") -> minor units.
absl::StatusOr<int64_t> MoneyFlag(absl::string_view flag, absl::string_view text);
// Tonnes, exact decimal with at most 6 decimals -> grams.
absl::StatusOr<int64_t> TonnesFlag(absl::string_view flag, absl::string_view text);
// YYYY-MM-DD -> Date.
absl::StatusOr<v1::Date> DateFlag(absl::string_view flag, absl::string_view text);
// An enum value by its short name ("central"), as ParseEnum.
template <typename E>
absl::StatusOr<E> EnumFlag(absl::string_view flag, absl::string_view text) {
  absl::StatusOr<int> v = ParseEnum(google::protobuf::GetEnumDescriptor<E>(), text);
  if (!v.ok()) return FlagError(flag, v.status());
  return static_cast<E>(*v);
}
// "METAL=VALUE" -> (METAL upper-cased, VALUE); "<flag> wants KEY=VALUE, got '...'" otherwise.
absl::StatusOr<std::pair<std::string, std::string>> KeyValueFlag(absl::string_view flag,
                                                                 absl::string_view text);

// One mass given either as --<stem>-g (grams) or --<stem>-t (exact decimal tonnes).
struct MassFlags {
  std::string stem;
  int64_t grams = 0;
  std::string tonnes;
};
// Registers --<stem>-g and --<stem>-t (mutually exclusive), described as `what`.
void AddMassFlags(CLI::App* cmd, const std::string& stem, const std::string& what,
                  MassFlags* flags);
// The mass given, in grams (0 when neither flag was given).
absl::StatusOr<int64_t> MassValue(const MassFlags& flags);
// The mass given, which must be positive: "give --<stem>-t or --<stem>-g" when missing.
absl::StatusOr<int64_t> PositiveMass(const MassFlags& flags);

// ---- Files ----

// The whole file (at most kMaxInputFileBytes); NOT_FOUND when it cannot be read.
absl::StatusOr<std::string> ReadInput(const std::string& path);
// Writes `text` to `path`, replacing it.
absl::Status WriteOutput(const std::string& path, absl::string_view text);

}  // namespace reserve::ctl::kit

#endif  // RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_
