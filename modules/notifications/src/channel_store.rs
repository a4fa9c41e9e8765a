//! Channels in `mod_notifications_channels`: read, written and deleted. Deleting a channel
//! deletes its deliveries (a foreign key `ON DELETE CASCADE`); deleting its company deletes it.

use crate::channel::{Channel, COLUMNS};
use crate::company_access::Companies;
use crate::sql_params::{bind, bind_in};
use module_sdk::{params, ModuleContext, Result};
use serde_json::Value;

/// The channels of `companies`, oldest first.
pub fn list(ctx: &ModuleContext, companies: &Companies) -> Result<Vec<Channel>> {
    let mut params: Vec<Value> = Vec::new();
    let filter = match companies {
        Companies::All => String::new(),
        Companies::Only(ids) => format!("WHERE {}", bind_in(&mut params, "company_id", ids)),
    };
    read(
        ctx,
        &format!(
            "SELECT {COLUMNS} FROM mod_notifications_channels {filter} ORDER BY created_at, id"
        ),
        &params,
    )
}

/// Every enabled channel that listens to `hook` (the hook handler's lookup).
pub fn listening(ctx: &ModuleContext, hook_names: &[&str]) -> Result<Vec<Channel>> {
    let mut params: Vec<Value> = Vec::new();
    // A coarse text match on the JSON array narrows the rows; `Channel::wants` decides.
    let likes: Vec<String> = hook_names
        .iter()
        .map(|hook| format!("hooks LIKE {}", bind(&mut params, format!("%\"{hook}\"%"))))
        .collect();
    read(
        ctx,
        &format!(
            "SELECT {COLUMNS} FROM mod_notifications_channels WHERE enabled AND ({}) \
             ORDER BY created_at, id",
            likes.join(" OR ")
        ),
        &params,
    )
}

/// The channel `id`, if any.
pub fn get(ctx: &ModuleContext, id: &str) -> Result<Option<Channel>> {
    Ok(read(
        ctx,
        &format!("SELECT {COLUMNS} FROM mod_notifications_channels WHERE id = $1"),
        &params![id],
    )?
    .pop())
}

/// Stores a new channel.
pub fn insert(ctx: &ModuleContext, c: &Channel) -> Result<()> {
    ctx.db().execute(
        "INSERT INTO mod_notifications_channels \
         (id, company_id, name, kind, hooks, filters, template, url, email, enabled, created_at, \
          updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        &params![
            c.id,
            c.company_id,
            c.name.trim(),
            c.kind.as_str(),
            c.hooks_json(),
            c.filters_json(),
            c.template,
            c.url,
            c.email_json(),
            c.enabled,
            c.created_at,
            c.updated_at,
        ],
    )?;
    Ok(())
}

/// Stores the changed fields of a channel (all but id, company and creation time).
pub fn update(ctx: &ModuleContext, c: &Channel) -> Result<()> {
    ctx.db().execute(
        "UPDATE mod_notifications_channels SET name = $1, kind = $2, hooks = $3, filters = $4, \
         template = $5, url = $6, email = $7, enabled = $8, updated_at = $9 WHERE id = $10",
        &params![
            c.name.trim(),
            c.kind.as_str(),
            c.hooks_json(),
            c.filters_json(),
            c.template,
            c.url,
            c.email_json(),
            c.enabled,
            c.updated_at,
            c.id,
        ],
    )?;
    Ok(())
}

/// Deletes the channel `id` and its deliveries; whether it existed.
pub fn delete(ctx: &ModuleContext, id: &str) -> Result<bool> {
    Ok(ctx.db().execute(
        "DELETE FROM mod_notifications_channels WHERE id = $1",
        &params![id],
    )? > 0)
}

fn read(ctx: &ModuleContext, sql: &str, params: &[Value]) -> Result<Vec<Channel>> {
    ctx.db()
        .query(sql, params)?
        .iter()
        .map(Channel::from_row)
        .collect()
}
