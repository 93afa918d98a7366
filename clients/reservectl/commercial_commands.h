// reservectl commands for the commercial reserve (CommercialReserveService: enterprises,
// agreements, compliance, subsidies, budgets, call-ups) and for banks (FinancingService:
// verify, pledge, repay, enforce, consent, exposure, events, totals). Each leaf parses its
// flags into a request, makes one call through the Session's Connection and prints the
// result with output.h's printer, like the inventory commands in commands.cc.
#ifndef RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_
#define RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "clients/reservectl/commands.h"

namespace reserve::ctl {

// enterprises, agreements, compliance, subsidies, budget, callups.
void AddCommercialCommands(CLI::App& app, Action* chosen);
// bank (verify, pledge, pledges, get, repay, enforce, consent, exposure, events), financing
// totals.
void AddFinancingCommands(CLI::App& app, Action* chosen);

}  // namespace reserve::ctl

#endif  // RESERVE_CLIENTS_RESERVECTL_COMMERCIAL_COMMANDS_H_
