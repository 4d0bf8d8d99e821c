// Named policies and upload verdicts in the store (store.hpp; migration 7).
#include <fmt/format.h>

#include "server/store.hpp"

namespace bulwark::server {

using nlohmann::json;

Status write_policy_verdict(Sql& sql, std::string_view report_id, std::string_view token_id,
                            const PolicyVerdict& verdict, std::int64_t now) {
  return sql.exec(
      "INSERT INTO report_verdicts(report_id, policy, pass, failing, evaluated_at, token_id, verdict) VALUES "
      "($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(report_id, policy) DO UPDATE SET pass = excluded.pass, failing = "
      "excluded.failing, evaluated_at = excluded.evaluated_at, token_id = excluded.token_id, verdict = "
      "excluded.verdict",
      {std::string(report_id), verdict.policy, std::int64_t{verdict.pass ? 1 : 0}, verdict.failing, now,
       std::string(token_id), verdict.detail.dump(-1, ' ', false, json::error_handler_t::replace)});
}

Result<bool> Store::put_policy(std::string_view name, std::string_view body, std::string_view token_id) {
  bool created = false;
  const std::int64_t now = clock_();
  auto st = transaction([&](Sql& sql) -> Status {
    auto had = sql.query("SELECT 1 FROM policies WHERE name = $1", {std::string(name)});
    if (!had) return std::unexpected(had.error());
    created = had->empty();
    return sql.exec(
        "INSERT INTO policies(name, body, created_at, updated_at, updated_by) VALUES ($1,$2,$3,$3,$4) ON "
        "CONFLICT(name) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at, updated_by = "
        "excluded.updated_by",
        {std::string(name), std::string(body), now, std::string(token_id)});
  });
  if (!st) return std::unexpected(st.error());
  return created;
}

namespace {
json parse_object(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json::object();
}
}  // namespace

Result<std::optional<json>> Store::policy(std::string_view name) {
  std::optional<json> out;
  auto st = read_transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("SELECT name, body, created_at, updated_at, updated_by FROM policies WHERE name = $1",
                          {std::string(name)});
    if (!rows) return std::unexpected(rows.error());
    if (rows->empty()) return {};
    const auto& r = (*rows)[0];
    out = json{{"name", as_text(r[0])},
               {"policy", parse_object(as_text(r[1]))},
               {"created_at", format_rfc3339(as_int(r[2]))},
               {"updated_at", format_rfc3339(as_int(r[3]))},
               {"updated_by", as_text(r[4])}};
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<std::optional<std::string>> Store::policy_body(std::string_view name) {
  std::optional<std::string> out;
  auto st = read_transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("SELECT body FROM policies WHERE name = $1", {std::string(name)});
    if (!rows) return std::unexpected(rows.error());
    if (!rows->empty()) out = as_text((*rows)[0][0]);
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

Result<json> Store::policies() {
  json items = json::array();
  auto st = read_transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("SELECT name, body, created_at, updated_at, updated_by FROM policies ORDER BY name");
    if (!rows) return std::unexpected(rows.error());
    for (const auto& r : *rows) {
      items.push_back({{"name", as_text(r[0])},
                       {"policy", parse_object(as_text(r[1]))},
                       {"created_at", format_rfc3339(as_int(r[2]))},
                       {"updated_at", format_rfc3339(as_int(r[3]))},
                       {"updated_by", as_text(r[4])}});
    }
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return json{{"items", std::move(items)}};
}

Result<bool> Store::delete_policy(std::string_view name) {
  bool deleted = false;
  auto st = transaction([&](Sql& sql) -> Status {
    auto rows = sql.query("DELETE FROM policies WHERE name = $1 RETURNING name", {std::string(name)});
    if (!rows) return std::unexpected(rows.error());
    deleted = !rows->empty();
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return deleted;
}

Result<std::optional<json>> Store::report_verdicts(std::string_view id_or_digest, std::string* uploader) {
  std::optional<json> out;
  auto st = read_transaction([&](Sql& sql) -> Status {
    auto report =
        sql.query("SELECT id, digest, token_id FROM reports WHERE id = $1 OR digest = $1", {std::string(id_or_digest)});
    if (!report) return std::unexpected(report.error());
    if (report->empty()) return {};
    const std::string id = as_text((*report)[0][0]);
    if (uploader) *uploader = as_text((*report)[0][2]);
    auto rows = sql.query(
        "SELECT policy, pass, failing, evaluated_at, verdict FROM report_verdicts WHERE report_id = $1 ORDER BY "
        "evaluated_at DESC, policy",
        {id});
    if (!rows) return std::unexpected(rows.error());
    json items = json::array();
    for (const auto& r : *rows) {
      json v = parse_object(as_text(r[4]));
      v["evaluated"] = true;
      v["name"] = as_text(r[0]);
      v["pass"] = as_int(r[1]) != 0;
      v["failing"] = as_int(r[2]);
      v["evaluated_at"] = format_rfc3339(as_int(r[3]));
      items.push_back(std::move(v));
    }
    out = json{{"report", id}, {"digest", as_text((*report)[0][1])}, {"items", std::move(items)}};
    return {};
  });
  if (!st) return std::unexpected(st.error());
  return out;
}

}  // namespace bulwark::server
