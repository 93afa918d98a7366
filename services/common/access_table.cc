#include "services/common/access_table.h"

#include "absl/container/flat_hash_map.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace reserve {

namespace {

using Table = absl::flat_hash_map<std::string, std::vector<std::string>>;

void Add(Table& table, absl::string_view service, absl::string_view method,
         std::vector<std::string> roles) {
  table[absl::StrCat("/reserve.v1.", service, "/", method)] = std::move(roles);
}

Table BuildTable() {
  Table t;
  // IdentityService: anyone who authenticated may ask who they are.
  Add(t, "IdentityService", "WhoAmI", {std::string(kAnyAuthenticated)});

  // LedgerService: only services write (they have already authorised the end user);
  // readers are services, admins and auditors; backups are an admin act.
  const std::vector<std::string> readers = {"service", "admin", "auditor"};
  Add(t, "LedgerService", "Commit", {"service"});
  for (absl::string_view read :
       {"GetHead", "GetRecords", "ScanRecords", "RecordHistory", "GetBalances", "ScanBalances",
        "AccountHistory", "ReadJournal", "Watch", "Verify"}) {
    Add(t, "LedgerService", read, readers);
  }
  Add(t, "LedgerService", "Backup", {"admin"});

  // InventoryService (services/inventory): admins write; admins, approvers, finance and
  // auditors read; approvers decide stock-count differences beyond tolerance.
  const std::vector<std::string> inventory_readers = {"admin", "approver", "finance", "auditor"};
  for (absl::string_view read :
       {"ListMetals", "GetMetal", "GetDepot", "ListDepots", "GetLot", "ListLots", "GetLotHistory",
        "GetStockCount", "GetHoldings", "GetValuation", "GetDaysOfCover", "ListPriceMarks"}) {
    Add(t, "InventoryService", read, inventory_readers);
  }
  for (absl::string_view write :
       {"CreateMetal", "AddGrade", "CreateDepot", "UpdateDepot", "AcquireLots", "DispatchLot",
        "ReceiveLot", "ReleaseLots", "RotateLots", "RecordStockCount", "AddPriceMarks",
        "ImportPriceMarks"}) {
    Add(t, "InventoryService", write, {"admin"});
  }
  Add(t, "InventoryService", "DecideStockCount", {"approver"});

  // DecisionService (services/decision): admins prepare (market data, targets, budgets,
  // proposals, auctions); approvers approve; admins, approvers, finance and auditors read
  // recommendations, orders and auction results.
  for (absl::string_view read :
       {"ListMarketData", "GetMarketPointHistory", "GetTarget", "ListTargets", "ListAnnualCeilings",
        "GetBudget", "GetApprovalPolicy", "GetRecommendations", "Optimise", "RunBacktest",
        "GetProposal", "ListProposals", "GetOrder", "ListOrders", "GetAuction", "ListAuctions",
        "ListBidders", "GetAuctionResult", "VerifyAuctionResult"}) {
    Add(t, "DecisionService", read, inventory_readers);
  }
  for (absl::string_view write :
       {"AddMarketData", "ImportMarketData", "SetTarget", "SetAnnualCeiling", "SetBudget",
        "SetApprovalPolicy", "CreateProposal", "CloseOrder", "CreateAuction", "RegisterBidder",
        "PlaceBid", "ClearAuction", "RecordPayment", "ForfeitAward", "DeliverLots"}) {
    Add(t, "DecisionService", write, {"admin"});
  }
  for (absl::string_view decide : {"ApproveProposal", "RejectProposal"}) {
    Add(t, "DecisionService", decide, {"approver"});
  }

  // CommercialReserveService (services/commercial): admins write; admins, finance and
  // auditors read everything; an enterprise reads its own rows (the service scopes it).
  const std::vector<std::string> commercial_readers = {"admin", "finance", "auditor",
                                                       "enterprise:*"};
  for (absl::string_view read :
       {"GetEnterprise", "GetAgreement", "ListAgreements", "GetCompliance", "GetSubsidyStatement",
        "ListSubsidyStatements", "GetCallUp", "ListCallUps"}) {
    Add(t, "CommercialReserveService", read, commercial_readers);
  }
  for (absl::string_view read : {"ListEnterprises", "GetBudget"}) {
    Add(t, "CommercialReserveService", read, {"admin", "finance", "auditor"});
  }
  for (absl::string_view write : {"EnrolEnterprise", "CreateAgreement", "ExtendAgreement",
                                  "IssueSubsidyStatement", "PaySubsidyStatement", "FundBudget",
                                  "IssueCallUp", "RecordCallUpDelivery", "LiftCallUpRights"}) {
    Add(t, "CommercialReserveService", write, {"admin"});
  }

  // FinancingService (services/commercial): banks act for themselves (the service scopes
  // every row to the caller's bank:<id>); admins and auditors read pledges; finance sees
  // totals only.
  for (absl::string_view bank : {"VerifyLots", "CreatePledge", "RepayPledge", "EnforcePledge",
                                 "ConsentToCallUp", "GetExposure", "WatchEvents"}) {
    Add(t, "FinancingService", bank, {"bank:*"});
  }
  for (absl::string_view read : {"GetPledge", "ListPledges"}) {
    Add(t, "FinancingService", read, {"bank:*", "admin", "auditor"});
  }
  Add(t, "FinancingService", "GetFinancingTotals", {"finance", "admin", "auditor"});
  return t;
}

const Table& TheTable() {
  static const Table table = BuildTable();
  return table;
}

}  // namespace

const std::vector<std::string>* AllowedRoles(absl::string_view full_method) {
  const Table& table = TheTable();
  auto it = table.find(full_method);
  return it == table.end() ? nullptr : &it->second;
}

bool RoleMatches(absl::string_view pattern, absl::string_view role) {
  if (pattern == kAnyAuthenticated) {
    return true;
  }
  if (absl::EndsWith(pattern, ":*")) {
    absl::string_view family = pattern.substr(0, pattern.size() - 1);  // keeps the ':'
    return absl::StartsWith(role, family) && role.size() > family.size();
  }
  return pattern == role;
}

std::vector<std::string> AccessTableMethods() {
  std::vector<std::string> out;
  for (const auto& [method, roles] : TheTable()) {
    out.push_back(method);
  }
  return out;
}

}  // namespace reserve
