//! The page frame and HTML escaping.

use axum::response::Html;

/// Escape text for HTML content and attribute values.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A whole page around `body` (already HTML).
pub fn page(title: &str, body: String) -> Html<String> {
    Html(format!(
        r##"<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} – Register to vote – GOV.UK</title>
</head>
<body>
<a href="#main-content">Skip to main content</a>
<header><p>GOV.UK – Register to vote</p></header>
<main id="main-content">
{body}
</main>
</body>
</html>
"##,
        title = escape(title)
    ))
}
