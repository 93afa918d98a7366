#include "services/commercial/glue.h"

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"

namespace reserve::commercial_glue {
namespace {

constexpr absl::string_view kBankRole = "bank:";
constexpr absl::string_view kEnterpriseRole = "enterprise:";

// The ids of `who`'s roles of one family ("bank:" -> {"icbc"}).
std::vector<std::string> FamilyIds(const Principal& who, absl::string_view family) {
  std::vector<std::string> out;
  for (const std::string& role : who.roles) {
    if (absl::StartsWith(role, family)) out.push_back(role.substr(family.size()));
  }
  return out;
}

}  // namespace

absl::StatusOr<commercial::Scope> ScopeOf(const Principal& who) {
  for (absl::string_view role : {"admin", "approver", "finance", "auditor"}) {
    if (who.HasRole(role)) return commercial::Scope{};
  }
  std::vector<std::string> banks = FamilyIds(who, kBankRole);
  std::vector<std::string> enterprises = FamilyIds(who, kEnterpriseRole);
  if (banks.size() + enterprises.size() != 1) {
    return absl::PermissionDeniedError(
        absl::StrCat(who.name, " must act for exactly one bank or enterprise"));
  }
  return banks.empty() ? commercial::Scope{"", enterprises.front()}
                       : commercial::Scope{banks.front(), ""};
}

absl::StatusOr<std::string> BankOf(const Principal& who) {
  std::vector<std::string> banks = FamilyIds(who, kBankRole);
  if (banks.size() != 1) {
    return absl::PermissionDeniedError(absl::StrCat(who.name, " must act for exactly one bank"));
  }
  return banks.front();
}

void ToProto(const commercial::Pledge& p, v1::Pledge* out) {
  out->set_pledge_id(p.id);
  out->set_bank_id(p.bank);
  out->set_borrower_enterprise_id(p.borrower);
  out->set_agreement_id(p.agreement_id);
  for (const std::string& id : p.lot_ids) out->add_lot_ids(id);
  out->set_metal(p.metal);
  out->set_currency(p.currency);
  out->set_collateral_mass_g(p.collateral_mass_g);
  out->set_principal_minor(p.principal_minor);
  out->set_interest_rate_bp(p.interest_rate_bp);
  ToProtoDate(p.start_date, out->mutable_start_date());
  ToProtoDate(p.maturity_date, out->mutable_maturity_date());
  out->set_max_ltv_bp(p.max_ltv_bp);
  out->set_margin_call_ltv_bp(p.margin_call_ltv_bp);
  out->set_loan_reference(p.loan_reference);
  out->set_status(static_cast<v1::PledgeStatus>(p.status));
  out->set_in_margin_call(p.in_margin_call);
  out->set_marked_ltv_bp(p.marked_ltv_bp);
  if (p.end_date.has_value()) ToProtoDate(*p.end_date, out->mutable_end_date());
  for (const std::string& id : p.call_up_ids) out->add_call_up_ids(id);
  for (const std::string& id : p.consented_call_up_ids) out->add_consented_call_up_ids(id);
}

}  // namespace reserve::commercial_glue
