// Small pieces the decision and auction commands share (decision_commands.cc,
// auction_commands.cc): leaf registration, mutation and paging flags, calls to the
// DecisionService, money and date flags. Kept apart from commands.cc so that file stays the
// inventory's.
#ifndef RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_
#define RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_

#include <CLI/CLI.hpp>
#include <string>
#include <utility>

#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "clients/reservectl/client.h"
#include "clients/reservectl/commands.h"
#include "clients/reservectl/decimal.h"

namespace reserve::ctl::kit {

// Bounds `--all`: 10,000 pages of up to 1,000 rows is far beyond any real store.
inline constexpr int kMaxPagesFollowed = 10'000;
// Files read whole (market data CSV); larger is not one request.
inline constexpr size_t kMaxInputFileBytes = 64 * 1024 * 1024;

using DecisionStub = v1::DecisionService::Stub;
template <typename Req, typename Resp>
using DecisionMethod = grpc::Status (DecisionStub::*)(grpc::ClientContext*, const Req&, Resp*);

// Registers a leaf whose body runs after parsing.
inline CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
                      Action* chosen, Action action) {
  CLI::App* leaf = parent->add_subcommand(name, description);
  leaf->callback([chosen, action = std::move(action)] { *chosen = action; });
  return leaf;
}

// One DecisionService call through the session's connection.
template <typename Req, typename Resp>
absl::StatusOr<Resp> Decision(Session& s, DecisionMethod<Req, Resp> method, const Req& request) {
  absl::StatusOr<Connection*> c = s.connection();
  if (!c.ok()) return c.status();
  Resp response;
  if (absl::Status st = (*c)->Call((*c)->decision(), method, request, &response); !st.ok()) {
    return st;
  }
  return response;
}

// --request-id and --date on every mutation.
struct MutationFlags {
  std::string request_id;
  std::string date;
};

void AddMutationFlags(CLI::App* cmd, MutationFlags* flags, bool with_date);

// Fills request_id (a fresh one when not given) and business_date (when the request has one
// and --date was given). INVALID_ARGUMENT on a bad date.
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

std::string CommitLine(const v1::CommitInfo& commit);

struct PageFlags {
  int page_size = 0;
  std::string page_token;
  bool all = false;
};

void AddPageFlags(CLI::App* cmd, PageFlags* flags);
std::string MoreLine(const std::string& token);

// Calls a paged List method, following tokens with --all; the pages merged into one response.
template <typename Req, typename Resp>
absl::StatusOr<Resp> ListPages(Session& s, DecisionMethod<Req, Resp> method, Req request,
                               const PageFlags& flags) {
  request.set_page_size(flags.page_size);
  request.set_page_token(flags.page_token);
  Resp merged;
  for (int page = 0; page < kMaxPagesFollowed; ++page) {
    absl::StatusOr<Resp> r = Decision(s, method, request);
    if (!r.ok()) return r.status();
    const std::string next = r->next_page_token();
    merged.MergeFrom(*r);
    merged.set_next_page_token(next);
    if (!flags.all || next.empty()) break;
    request.set_page_token(next);
  }
  return merged;
}

// "--flag: message" as a usage error.
absl::Status FlagError(absl::string_view flag, const absl::Status& status);
// Yuan (at most 2 decimals) -> fen.
absl::StatusOr<int64_t> Yuan(absl::string_view flag, absl::string_view text);
// Tonnes (at most 6 decimals) -> grams.
absl::StatusOr<int64_t> Grams(absl::string_view flag, absl::string_view text);
// YYYY-MM-DD -> Date, naming the flag.
absl::StatusOr<v1::Date> DateFlag(absl::string_view flag, absl::string_view text);
// "METAL=VALUE" -> (METAL upper-cased, VALUE).
absl::StatusOr<std::pair<std::string, std::string>> KeyValue(absl::string_view flag,
                                                             absl::string_view text);
absl::StatusOr<std::string> ReadInput(const std::string& path);
absl::Status WriteOutput(const std::string& path, absl::string_view text);

}  // namespace reserve::ctl::kit

#endif  // RESERVE_CLIENTS_RESERVECTL_COMMAND_KIT_H_
