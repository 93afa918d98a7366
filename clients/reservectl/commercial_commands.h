// reservectl commands for the commercial reserve (CommercialReserveService: enterprises,
// agreements, compliance, subsidies, budgets, call-ups) and for banks (FinancingService:
// verify, pledge, repay, enforce, consent, exposure, events, totals). Each leaf parses its
// flags into a request, makes one call through the Session's Connection and prints the
// result with output.h's printer, like the inventory commands in commands.cc.
#ifndef RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_
#define RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "clients/reservectl/commands.h"

namespace reserve::ctl {

// enterprises, agreements, compliance, subsidies, budget, callups.
void AddCommercialCommands(CLI::App& app, Action* chosen);
// bank (verify, pledge, pledges, get, repay, enforce, consent, exposure, events), financing
// totals.
void AddFinancingCommands(CLI::App& app, Action* chosen);

namespace cmd {

// A leaf whose callback records `action` as the body to run after parsing.
CLI::App* Leaf(CLI::App* parent, const std::string& name, const std::string& description,
               Action* chosen, Action action);

// --request-id and --date, which every mutation takes.
struct MutationFlags {
  std::string request_id;
  std::string date;
};
void AddMutationFlags(CLI::App* cmd, MutationFlags* flags);
// Sets request_id (a fresh random one when not given) and business_date (when --date).
template <typename Req>
absl::Status ApplyMutationFlags(const MutationFlags& flags, Req* request) {
  request->set_request_id(flags.request_id.empty() ? NewRequestId() : flags.request_id);
  if (!flags.date.empty()) {
    absl::StatusOr<v1::Date> date = ParseDate(flags.date);
    if (!date.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--date: ", date.status().message()));
    }
    *request->mutable_business_date() = *date;
  }
  return absl::OkStatus();
}

// A required date flag's value; INVALID_ARGUMENT naming the flag.
absl::StatusOr<v1::Date> DateFlag(const std::string& text, absl::string_view flag);
// Money in major units with at most 2 decimals ("1000000.00") -> minor units.
absl::StatusOr<int64_t> MoneyFlag(const std::string& text, absl::string_view flag);
// Mass from --X-t (exact decimal tonnes) or --X-g (grams); exactly one must be given.
absl::StatusOr<int64_t> MassFlag(const std::string& tonnes, int64_t grams, absl::string_view stem);

// "committed: seq N" or "replayed: seq N (...)".
std::string CommitLine(const v1::CommitInfo& commit);
// "more: --page-token T", or "" when there are no more pages.
std::string MoreLine(const std::string& token);

}  // namespace cmd
}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_
