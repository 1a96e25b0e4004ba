//! Reading `application/x-www-form-urlencoded` bodies whose fields may come more than once
//! (checkboxes), which axum's `Form` (one value a name) cannot hold: every pair, in order.

/// Every `name=value` pair of a form body, decoded (`+` a space, `%XX` a byte; a malformed
/// escape kept as it is; invalid UTF-8 replaced), a name that comes more than once kept each time.
pub fn pairs(body: &[u8]) -> Vec<(String, String)> {
    body.split(|&b| b == b'&')
        .filter(|p| !p.is_empty())
        .map(|p| match p.iter().position(|&b| b == b'=') {
            Some(i) => (decode(&p[..i]), decode(&p[i + 1..])),
            None => (decode(p), String::new()),
        })
        .collect()
}

fn decode(s: &[u8]) -> String {
    let mut out = Vec::with_capacity(s.len());
    let mut i = 0;
    while i < s.len() {
        match s[i] {
            b'+' => out.push(b' '),
            b'%' if i + 3 <= s.len() => {
                match std::str::from_utf8(&s[i + 1..i + 3]).ok().and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_fields_and_bad_escapes() {
        assert_eq!(
            pairs(b"a=1&b=x+y&a=%2F&c&=&d=%ZZ%4"),
            vec![
                ("a".into(), "1".into()),
                ("b".into(), "x y".into()),
                ("a".into(), "/".into()),
                ("c".into(), "".into()),
                ("".into(), "".into()),
                ("d".into(), "%ZZ%4".into())
            ]
        );
        assert_eq!(pairs(b"n=%C3%A2"), vec![("n".into(), "â".into())]);
        assert_eq!(pairs(b"n=%FF")[0].1, "\u{fffd}");
    }
}
