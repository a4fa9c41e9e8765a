//! The `Content-Type` of a served file, from its extension. JavaScript is always
//! `text/javascript`, which browsers require for ES modules loaded with `import()`.

/// The content type for `file_name` (`application/octet-stream` when the extension is unknown).
pub fn content_type_for(file_name: &str) -> String {
    let extension = file_name
        .rsplit_once('.')
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .unwrap_or_default();
    match extension.as_str() {
        "js" | "mjs" => "text/javascript; charset=utf-8".to_string(),
        "css" => "text/css; charset=utf-8".to_string(),
        "html" | "htm" => "text/html; charset=utf-8".to_string(),
        "json" | "map" => "application/json".to_string(),
        "svg" => "image/svg+xml".to_string(),
        _ => {
            let mime = mime_guess::from_ext(&extension).first_or_octet_stream();
            if mime.type_() == mime_guess::mime::TEXT {
                format!("{mime}; charset=utf-8")
            } else {
                mime.to_string()
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::content_type_for;

    #[test]
    fn module_scripts_are_javascript() {
        assert_eq!(
            content_type_for("index.js"),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(
            content_type_for("chart.MJS"),
            "text/javascript; charset=utf-8"
        );
    }

    #[test]
    fn other_files_follow_their_extension() {
        assert_eq!(content_type_for("app.css"), "text/css; charset=utf-8");
        assert_eq!(content_type_for("index.html"), "text/html; charset=utf-8");
        assert_eq!(content_type_for("logo.svg"), "image/svg+xml");
        assert_eq!(content_type_for("logo.png"), "image/png");
        assert_eq!(content_type_for("notes.txt"), "text/plain; charset=utf-8");
        assert_eq!(content_type_for("LICENSE"), "application/octet-stream");
        assert_eq!(content_type_for("data.bin"), "application/octet-stream");
    }
}
