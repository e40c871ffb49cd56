// A fresh SQLite store in a temporary directory per test, which reopen() closes and opens
// again so a test can check that what a method wrote is really on disk.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "gateway/store/sqlite_store.h"

namespace faxgate::gateway::testing {

class TempStoreTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string pattern =
            (std::filesystem::temp_directory_path() / "faxgate-store-test-XXXXXX").string();
        ASSERT_NE(mkdtemp(pattern.data()), nullptr);
        directory_ = pattern;
        path_ = (directory_ / "gateway.db").string();
        store_ = openSqliteStore(path_);
    }

    void TearDown() override {
        store_.reset();
        std::error_code ignored;
        std::filesystem::remove_all(directory_, ignored);
    }

    void reopen() {
        store_.reset();
        store_ = openSqliteStore(path_);
    }

    std::filesystem::path directory_;
    std::string path_;
    std::unique_ptr<Store> store_;
};

}  // namespace faxgate::gateway::testing
