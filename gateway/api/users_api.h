// The admin API's users, dispatched by AdminApi:
//
//   GET   /api/v1/users, /api/v1/users/{id}      {"users": [...]}, one user; never a hash
//   POST  /api/v1/users     {id, password, role, email, default_node, resolution, cover_page,
//                            attachment_format} -> 201 the user; 409 if the ID exists
//   PATCH /api/v1/users/{id}  the fields to change -> 200 the user; 409 for the last admin
//
// Every add or change is stored with its audit entry ("user.add", "user.change": who, from
// where, the changed fields, the password masked) and a new version of the settings scope
// "users" (the user list without password hashes, docs/settings.md), plus one of "user-nodes"
// when a default node changes, all in one transaction. Refusals name the field (400).
//
// Threading: made per request; read-modify-write of the users table holds
// SettingsLocks::users, so the versions always match the table.
#pragma once

#include <string>
#include <vector>

#include "gateway/api/admin_request.h"
#include "gateway/api/settings_scope.h"

namespace faxgate::gateway {

class UsersApi {
  public:
    explicit UsersApi(const admin::SettingsContext& context) : context_(context) {}

    // True for the paths (segments after /api/v1) handle() answers.
    static bool handles(const std::vector<std::string>& path);
    void handle(const admin::AdminCall& call);

  private:
    void add(const admin::AdminCall& call);
    void change(const admin::AdminCall& call, const std::string& id);

    const admin::SettingsContext& context_;
};

}  // namespace faxgate::gateway
