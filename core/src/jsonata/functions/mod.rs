//! The standard function library, by area; each function with the reference's signature
//! (which checks and converts its arguments) and its declared arity (what higher-order
//! functions pass it).

mod array;
mod datetime;
mod encoding;
mod format_integer;
mod format_number;
mod hof;
mod numeric;
mod object;
mod string;

use std::sync::OnceLock;

use super::error::Error;
use super::eval::Ctx;
use super::frame::Env;
use super::signature::Signature;
use super::value::Value;

pub(crate) use datetime::format_millis;

/// A built-in function's implementation: the context, its checked arguments, the input.
pub(crate) type Imp = fn(&mut Ctx<'_>, &[Value], &Value, &Env) -> Result<Value, Error>;

/// A function of the standard library.
pub(crate) struct Builtin {
    pub(crate) name: &'static str,
    sig: &'static str,
    parsed: OnceLock<Signature>,
    /// The number of parameters the reference's implementation declares.
    pub(crate) arity: usize,
    pub(crate) imp: Imp,
}

impl Builtin {
    const fn new(name: &'static str, sig: &'static str, arity: usize, imp: Imp) -> Self {
        Builtin {
            name,
            sig,
            parsed: OnceLock::new(),
            arity,
            imp,
        }
    }

    pub(crate) fn signature(&self) -> &Signature {
        self.parsed
            .get_or_init(|| Signature::parse(self.sig).unwrap_or_else(|e| unreachable!("{e}")))
    }
}

/// The signature of a transform's function, `<(oa):o>`.
pub(crate) fn transform_signature() -> &'static Signature {
    static SIG: OnceLock<Signature> = OnceLock::new();
    SIG.get_or_init(|| Signature::parse("<(oa):o>").unwrap_or_else(|e| unreachable!("{e}")))
}

/// The standard library, sorted by name.
static BUILTINS: [Builtin; 65] = [
    Builtin::new("abs", "<n-:n>", 1, numeric::abs),
    Builtin::new("append", "<xx:a>", 2, array::append),
    Builtin::new("assert", "<bs?:x>", 2, object::assert),
    Builtin::new("average", "<a<n>:n>", 1, numeric::average),
    Builtin::new("base64decode", "<s-:s>", 1, encoding::base64decode),
    Builtin::new("base64encode", "<s-:s>", 1, encoding::base64encode),
    Builtin::new("boolean", "<x-:b>", 1, object::boolean),
    Builtin::new("ceil", "<n-:n>", 1, numeric::ceil),
    Builtin::new("clone", "<(oa)-:o>", 1, object::clone),
    Builtin::new("contains", "<s-(sf):b>", 2, string::contains),
    Builtin::new("count", "<a:n>", 1, array::count),
    Builtin::new("decodeUrl", "<s-:s>", 1, encoding::decode_url),
    Builtin::new(
        "decodeUrlComponent",
        "<s-:s>",
        1,
        encoding::decode_url_component,
    ),
    Builtin::new("distinct", "<x:x>", 1, array::distinct),
    Builtin::new("each", "<o-f:a>", 2, hof::each),
    Builtin::new("encodeUrl", "<s-:s>", 1, encoding::encode_url),
    Builtin::new(
        "encodeUrlComponent",
        "<s-:s>",
        1,
        encoding::encode_url_component,
    ),
    Builtin::new("error", "<s?:x>", 1, object::error),
    Builtin::new("eval", "<sx?:x>", 2, object::eval),
    Builtin::new("exists", "<x:b>", 1, object::exists),
    Builtin::new("filter", "<af>", 2, hof::filter),
    Builtin::new("floor", "<n-:n>", 1, numeric::floor),
    Builtin::new("formatBase", "<n-n?:s>", 2, numeric::format_base),
    Builtin::new(
        "formatInteger",
        "<n-s:s>",
        2,
        format_integer::format_integer,
    ),
    Builtin::new("formatNumber", "<n-so?:s>", 3, format_number::format_number),
    Builtin::new("fromMillis", "<n-s?s?:s>", 3, datetime::from_millis),
    Builtin::new("join", "<a<s>s?:s>", 2, string::join),
    Builtin::new("keys", "<x-:a<s>>", 1, object::keys),
    Builtin::new("length", "<s-:n>", 1, string::length),
    Builtin::new("lookup", "<x-s:x>", 2, object::lookup),
    Builtin::new("lowercase", "<s-:s>", 1, string::lowercase),
    Builtin::new("map", "<af>", 2, hof::map),
    Builtin::new("match", "<s-f<s:o>n?:a<o>>", 3, string::match_),
    Builtin::new("max", "<a<n>:n>", 1, numeric::max),
    Builtin::new("merge", "<a<o>:o>", 1, object::merge),
    Builtin::new("millis", "<:n>", 0, datetime::millis),
    Builtin::new("min", "<a<n>:n>", 1, numeric::min),
    Builtin::new("not", "<x-:b>", 1, object::not),
    Builtin::new("now", "<s?s?:s>", 2, datetime::now),
    Builtin::new("number", "<(nsb)-:n>", 1, numeric::number),
    Builtin::new("pad", "<s-ns?:s>", 3, string::pad),
    Builtin::new("parseInteger", "<s-s:n>", 2, format_integer::parse_integer),
    Builtin::new("power", "<n-n:n>", 2, numeric::power),
    Builtin::new("random", "<:n>", 0, numeric::random),
    Builtin::new("reduce", "<afj?:j>", 3, hof::reduce),
    Builtin::new("replace", "<s-(sf)(sf)n?:s>", 4, string::replace),
    Builtin::new("reverse", "<a:a>", 1, array::reverse),
    Builtin::new("round", "<n-n?:n>", 2, numeric::round),
    Builtin::new("shuffle", "<a:a>", 1, array::shuffle),
    Builtin::new("sift", "<o-f?:o>", 2, hof::sift),
    Builtin::new("single", "<af?>", 2, hof::single),
    Builtin::new("sort", "<af?:a>", 2, hof::sort),
    Builtin::new("split", "<s-(sf)n?:a<s>>", 3, string::split),
    Builtin::new("spread", "<x-:a<o>>", 1, object::spread),
    Builtin::new("sqrt", "<n-:n>", 1, numeric::sqrt),
    Builtin::new("string", "<x-b?:s>", 1, string::string),
    Builtin::new("substring", "<s-nn?:s>", 3, string::substring),
    Builtin::new("substringAfter", "<s-s:s>", 2, string::substring_after),
    Builtin::new("substringBefore", "<s-s:s>", 2, string::substring_before),
    Builtin::new("sum", "<a<n>:n>", 1, numeric::sum),
    Builtin::new("toMillis", "<s-s?:n>", 2, datetime::to_millis),
    Builtin::new("trim", "<s-:s>", 1, string::trim),
    Builtin::new("type", "<x:s>", 1, object::type_),
    Builtin::new("uppercase", "<s-:s>", 1, string::uppercase),
    Builtin::new("zip", "<a+>", 0, array::zip),
];

/// The standard library's function `name`.
pub(crate) fn builtin(name: &str) -> Option<&'static Builtin> {
    BUILTINS
        .binary_search_by(|b| b.name.cmp(name))
        .ok()
        .map(|i| &BUILTINS[i])
}

/// The argument at `i`, or undefined.
pub(crate) fn arg(args: &[Value], i: usize) -> &Value {
    const UNDEFINED: &Value = &Value::Undefined;
    args.get(i).unwrap_or(UNDEFINED)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_library_is_sorted_and_every_signature_parses() {
        assert!(BUILTINS.windows(2).all(|w| w[0].name < w[1].name));
        for b in &BUILTINS {
            assert!(Signature::parse(b.sig).is_ok(), "{}", b.name);
            assert!(builtin(b.name).is_some_and(|found| std::ptr::eq(found, b)));
        }
        assert!(builtin("nope").is_none());
    }
}
