// The reservectl command tree: CLI11 subcommands for every RPC a person uses, in groups, one
// file each (below). Each leaf parses its flags into a request, makes one call through the
// Session's Connection and prints the result with the one printer in output.h, using the
// helpers in command_kit.h.
#ifndef RESERVE_CLIENTS_RESERVECTL_COMMANDS_H_
#define RESERVE_CLIENTS_RESERVECTL_COMMANDS_H_

#include <CLI/CLI.hpp>
#include <functional>
#include <iostream>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "clients/reservectl/client.h"
#include "clients/reservectl/output.h"

namespace reserve::ctl {

// What a chosen command needs at run time: global flags, the output format and a lazily
// opened connection.
class Session {
 public:
  GlobalOptions global;
  Format format = Format::kTable;
  std::ostream& out = std::cout;
  std::ostream& err = std::cerr;

  // The connection, opened on first use with the global flags.
  absl::StatusOr<Connection*> connection();

  // Prints the error line and returns kExitFailure (server or connection errors).
  int Fail(const absl::Status& status);
  // Prints "error: <message>" and a --help hint; returns kExitUsage (nothing was sent).
  int Usage(absl::string_view message);
  // Prints `response` in the chosen format (JSON: the message; text and CSV: `table`, and in
  // text the options' layout and trailer) and returns kExitOk.
  int Print(const google::protobuf::Message& response, const Table& table,
            const EmitOptions& options = {});

 private:
  std::unique_ptr<Connection> connection_;
};

// A leaf command's body, run after the command line parsed cleanly.
using Action = std::function<int(Session&)>;

// Registers every command on `app`; the chosen leaf stores its body in `*chosen`.
void AddCommands(CLI::App& app, Session& session, Action* chosen);

// The groups AddCommands registers besides the inventory's (commands.cc):
// decision_commands.cc: market, targets, ceilings, budget, policy, recommend, optimise,
// backtest, proposals, orders (DecisionService).
void AddDecisionCommands(CLI::App& app, Action* chosen);
// auction_commands.cc: `auctions ...` (DecisionService's release auctions).
void AddAuctionCommands(CLI::App& app, Action* chosen);
// commercial_commands.cc: enterprises, agreements, compliance, subsidies, commercial-budget,
// callups (CommercialReserveService).
void AddCommercialCommands(CLI::App& app, Action* chosen);
// financing_commands.cc: bank (verify, pledge, pledges, get, repay, enforce, consent,
// exposure, events) and financing totals (FinancingService).
void AddFinancingCommands(CLI::App& app, Action* chosen);
// demo.cc: `demo load`, the demo data set (demo_data.h) loaded through the ordinary RPCs with
// request ids derived from the seed, so that re-running is harmless.
void AddDemoCommands(CLI::App& app, Action* chosen);

// The whole program: parse, run, map outcomes to exit statuses.
int Main(int argc, char** argv);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_COMMANDS_H_
