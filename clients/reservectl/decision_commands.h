// reservectl commands for the DecisionService (services/decision): market data, targets,
// ceilings, budgets, the approval policy, recommendations, the optimiser, backtests,
// proposals, orders (decision_commands.cc) and release auctions (auction_commands.cc).
#ifndef RESERVE_CLIENTS_RESERVECTL_DECISION_COMMANDS_H_
#define RESERVE_CLIENTS_RESERVECTL_DECISION_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "clients/reservectl/commands.h"

namespace reserve::ctl {

// Registers market, targets, ceilings, budget, policy, recommend, optimise, backtest,
// proposals and orders.
void AddDecisionCommands(CLI::App& app, Action* chosen);
// Registers `auctions ...`.
void AddAuctionCommands(CLI::App& app, Action* chosen);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_DECISION_COMMANDS_H_
