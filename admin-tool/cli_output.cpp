// fax-admin's plain-text output: tables and times, and the date parser of --since/--until;
// see admin_cli.h.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "admin-tool/admin_cli.h"

namespace faxgate::admin {

std::string formatTable(const std::vector<std::string>& headers,
                        const std::vector<std::vector<std::string>>& rows) {
    std::vector<size_t> widths(headers.size());
    for (size_t c = 0; c < headers.size(); ++c) widths[c] = headers[c].size();
    for (const auto& row : rows) {
        for (size_t c = 0; c < row.size() && c < widths.size(); ++c) {
            widths[c] = std::max(widths[c], row[c].size());
        }
    }
    std::string out;
    auto line = [&](const std::vector<std::string>& cells) {
        std::string text;
        for (size_t c = 0; c < widths.size(); ++c) {
            const std::string cell = c < cells.size() ? cells[c] : "";
            text += cell;
            if (c + 1 < widths.size()) text += std::string(widths[c] - cell.size() + 2, ' ');
        }
        while (!text.empty() && text.back() == ' ') text.pop_back();
        out += text + "\n";
    };
    line(headers);
    for (const auto& row : rows) line(row);
    return out;
}

std::optional<int64_t> parseDateMs(const std::string& text) {
    if (!text.empty() &&
        std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; })) {
        int64_t value = 0;
        auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
        if (error == std::errc() && end == text.data() + text.size() && text.size() > 8) {
            return value;
        }
        return std::nullopt;
    }
    std::tm tm{};
    int consumed = 0;
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    if (std::sscanf(text.c_str(), "%4d-%2d-%2d%n", &year, &month, &day, &consumed) != 3) {
        return std::nullopt;
    }
    std::string rest = text.substr(static_cast<size_t>(consumed));
    if (!rest.empty()) {
        if (rest[0] != ' ' && rest[0] != 'T') return std::nullopt;
        int used = 0;
        const int fields = std::sscanf(rest.c_str() + 1, "%2d:%2d%n", &hour, &minute, &used);
        if (fields != 2) return std::nullopt;
        std::string tail = rest.substr(1 + static_cast<size_t>(used));
        if (!tail.empty()) {
            int usedSeconds = 0;
            if (std::sscanf(tail.c_str(), ":%2d%n", &second, &usedSeconds) != 1 ||
                static_cast<size_t>(usedSeconds) != tail.size()) {
                return std::nullopt;
            }
        }
    }
    if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60 ||
        year < 1970) {
        return std::nullopt;
    }
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    tm.tm_hour = hour;
    tm.tm_min = minute;
    tm.tm_sec = second;
    tm.tm_isdst = -1;
    const std::time_t seconds = std::mktime(&tm);
    if (seconds == static_cast<std::time_t>(-1)) return std::nullopt;
    return static_cast<int64_t>(seconds) * 1000;
}

std::string formatTimeMs(int64_t ms) {
    if (ms <= 0) return "-";
    const std::time_t seconds = static_cast<std::time_t>(ms / 1000);
    std::tm tm{};
    localtime_r(&seconds, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
}

}  // namespace faxgate::admin
