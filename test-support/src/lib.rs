//! Test support shared by the crates' tests (`paperclip-core`, `paperclip-module-host`,
//! `paperclip-server`) and the e2e harness (`paperclip-e2e`): a throw-away PostgreSQL database
//! per test, so tests run in parallel on one PostgreSQL server without seeing each other's rows.
//!
//! A dev-dependency only; never part of a shipped binary.
#![forbid(unsafe_code)]

use diesel::{Connection, PgConnection, RunQueryDsl};

/// Environment variable with a PostgreSQL URL of an account that may create databases and
/// roles; the PostgreSQL half of the tests runs only when it is set.
pub const TEST_DATABASE_URL_VAR: &str = "PAPERCLIP_TEST_DATABASE_URL";

/// The value of [`TEST_DATABASE_URL_VAR`], when it is set and not blank.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var(TEST_DATABASE_URL_VAR)
        .ok()
        .filter(|url| !url.trim().is_empty())
}

/// A database created for one test and dropped (`WITH (FORCE)`, ending any session still using
/// it) when this value is dropped, together with the module roles the module host made for it.
#[derive(Debug)]
pub struct TestDatabase {
    admin_url: String,
    name: String,
    url: String,
}

impl TestDatabase {
    /// Creates `pc_test_<uuid>` on the server of `admin_url`.
    ///
    /// # Panics
    /// When the server cannot be reached or refuses to create the database.
    pub fn create(admin_url: &str) -> TestDatabase {
        let name = format!("pc_test_{}", uuid::Uuid::new_v4().simple());
        let mut admin = PgConnection::establish(admin_url).unwrap_or_else(|e| {
            panic!("cannot connect to PostgreSQL at {admin_url} ({TEST_DATABASE_URL_VAR}): {e}")
        });
        // The name is generated above from hex digits only, so formatting it into the
        // statement cannot inject SQL (CREATE DATABASE takes no bind parameters).
        diesel::sql_query(format!("CREATE DATABASE {name}"))
            .execute(&mut admin)
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let url = with_database_name(admin_url, &name);
        TestDatabase {
            admin_url: admin_url.to_string(),
            name,
            url,
        }
    }

    /// The URL of the test database.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name.
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Best effort: a leftover test database is harmless, a panic in drop is not.
        match PgConnection::establish(&self.admin_url) {
            Ok(mut admin) => {
                if let Err(e) = diesel::sql_query(format!(
                    "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                    self.name
                ))
                .execute(&mut admin)
                {
                    eprintln!("warning: cannot drop test database {}: {e}", self.name);
                }
                // Roles are cluster-wide: the module host's per-module roles for this database
                // (`paperclip_mod_<first 8 hex digits of sha256(name)>_…`) go with it.
                if let Err(e) =
                    diesel::sql_query(drop_module_roles_sql(&self.name)).execute(&mut admin)
                {
                    eprintln!(
                        "warning: cannot drop the module roles of {}: {e}",
                        self.name
                    );
                }
            }
            Err(e) => eprintln!("warning: cannot drop test database {}: {e}", self.name),
        }
    }
}

/// SQL dropping the roles the module host made for the modules of database `name` (its name is
/// hex digits and underscores, so formatting it into the statement is safe).
fn drop_module_roles_sql(name: &str) -> String {
    format!(
        "DO $drop$ DECLARE r text; BEGIN \
           FOR r IN SELECT rolname FROM pg_roles WHERE rolname LIKE \
             'paperclip\\_mod\\_' || left(encode(sha256(convert_to('{name}', 'UTF8')), 'hex'), 8) \
             || '\\_%' LOOP \
             EXECUTE format('DROP ROLE %I', r); \
           END LOOP; \
         END $drop$"
    )
}

/// `url` with its database name (the path after the host) replaced by `name`, keeping any
/// `?query`.
pub fn with_database_name(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let root = match base[authority_start..].find('/') {
        Some(i) => &base[..authority_start + i],
        None => base,
    };
    match query {
        Some(query) => format!("{root}/{name}?{query}"),
        None => format!("{root}/{name}"),
    }
}

#[cfg(test)]
mod tests {
    use super::with_database_name;

    #[test]
    fn database_name_is_replaced() {
        assert_eq!(
            with_database_name("postgres://postgres@127.0.0.1:5432/test", "x"),
            "postgres://postgres@127.0.0.1:5432/x"
        );
        assert_eq!(
            with_database_name("postgres://u:p@h/db?sslmode=disable", "x"),
            "postgres://u:p@h/x?sslmode=disable"
        );
        assert_eq!(
            with_database_name("postgres://h:5432", "x"),
            "postgres://h:5432/x"
        );
    }
}
