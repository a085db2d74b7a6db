//! Outline snapshots for a small fixture per language: kinds, nesting, containers and the
//! filtering of locals. Bless with `UPDATE_EXPECT=1 cargo test -p syntax`.

use expect_test::{expect, Expect};

use super::{outline, render};
use crate::Lang;

fn check(lang: Lang, src: &str, expect: Expect) {
    expect.assert_eq(&render(&outline(lang, src)));
}

#[test]
fn rust() {
    check(
        Lang::Rust,
        r#"mod m { fn inner() {} }
pub struct P { x: u8, pub y: u8 }
enum E { A, B(u8) }
union U { a: u8 }
trait T { fn req(&self); type Out; const C: usize; }
impl<T: Clone> fmt::Display for Foo<T> {
    fn fmt(&self) { const LOCAL: u8 = 1; fn helper() {} }
}
impl Foo { const X: u8 = 1; }
static mut S: u8 = 0;
static G: u8 = 0;
type Alias = u8;
macro_rules! m { () => {} }
fn main() { let x = 1; }
"#,
        expect![[r#"
            module m [0..23] sel [4..5]
              function inner [8..21] sel [11..16] in m
            struct P [24..57] sel [35..36]
              field x [39..44] sel [39..40] in P
              field y [46..55] sel [50..51] in P
            enum E [58..77] sel [63..64]
              enum_member A [67..68] sel [67..68] in E
              enum_member B [70..75] sel [70..71] in E
            struct U [78..95] sel [84..85]
              field a [88..93] sel [88..89] in U
            trait T [96..148] sel [102..103]
              method req [106..120] sel [109..112] in T
              type_alias Out [121..130] sel [126..129] in T
              constant C [131..146] sel [137..138] in T
            impl impl fmt::Display for Foo<T> [149..249] sel [181..187]
              method fmt [194..247] sel [197..200] in Foo
                function helper [231..245] sel [234..240] in fmt
            impl impl Foo [250..279] sel [255..258]
              constant X [261..277] sel [267..268] in Foo
            variable S [280..301] sel [291..292]
            constant G [302..319] sel [309..310]
            type_alias Alias [320..336] sel [325..330]
            macro m [337..364] sel [350..351]
            function main [365..389] sel [368..372]
        "#]],
    );
}

#[test]
fn python() {
    check(
        Lang::Python,
        r#"MAX_SIZE = 10
name: str = "x"
a, b = 1, 2
type Alias = list[int]

@dataclass
class Point:
    x: int = 0
    def __init__(self):
        local = 1
    @property
    def norm(self):
        def inner(): pass
        return 1

async def main():
    CONST = 1
"#,
        expect![[r#"
            constant MAX_SIZE [0..13] sel [0..8]
            variable name [14..29] sel [14..18]
            variable a [30..41] sel [30..31]
            variable b [30..41] sel [33..34]
            type_alias Alias [42..64] sel [47..52]
            class Point [66..223] sel [83..88]
              field x [94..104] sel [94..95] in Point
              constructor __init__ [109..146] sel [113..121] in Point
              method norm [151..223] sel [169..173] in Point
                function inner [189..206] sel [193..198] in norm
            function main [225..256] sel [235..239]
        "#]],
    );
}

#[test]
fn javascript() {
    check(
        Lang::JavaScript,
        r#"export const A = 1, b = () => 2;
let c = function named() {};
var d = 3;
class K extends B {
  x = 1;
  h = () => {};
  constructor() { const local = 1; }
  static s() {}
}
function* gen() { const api = { get() {} }; }
app.get("/", (req, res) => { const inCallback = 1; });
"#,
        expect![[r#"
            constant A [13..18] sel [13..14]
            function b [20..31] sel [20..21]
            function c [37..60] sel [37..38]
            variable d [66..71] sel [66..67]
            class K [73..172] sel [79..80]
              field x [95..100] sel [95..96] in K
              method h [104..116] sel [104..105] in K
              constructor constructor [120..154] sel [120..131] in K
              method s [157..170] sel [164..165] in K
            function gen [173..218] sel [183..186]
        "#]],
    );
}

#[test]
fn typescript() {
    check(
        Lang::TypeScript,
        r#"export abstract class Shape implements Named {
  private id: number;
  constructor(readonly name: string) {}
  abstract area(): number;
}
interface Named { name: string; describe(): string; }
type Id = string;
enum Color { Red, Green = 2 }
namespace Util { export function clamp(x: number) { return x; } }
declare function ext(x: number): void;
export const handler = async (e: Event) => {};
let counter = 0;
"#,
        expect![[r#"
            class Shape [7..137] sel [22..27]
              field id [49..67] sel [57..59] in Shape
              constructor constructor [71..108] sel [71..82] in Shape
              method area [111..134] sel [120..124] in Shape
            interface Named [138..191] sel [148..153]
              field name [156..168] sel [156..160] in Named
              method describe [170..188] sel [170..178] in Named
            type_alias Id [192..209] sel [197..199]
            enum Color [210..239] sel [215..220]
              enum_member Red [223..226] sel [223..226] in Color
              enum_member Green [228..237] sel [228..233] in Color
            namespace Util [240..305] sel [250..254]
              function clamp [264..303] sel [273..278] in Util
            function ext [314..344] sel [323..326]
            function handler [358..390] sel [358..365]
            variable counter [396..407] sel [396..403]
        "#]],
    );
}

#[test]
fn tsx() {
    check(
        Lang::Tsx,
        r#"interface Props { title: string }
export function App({ title }: Props) {
  const [n, setN] = useState(0);
  return <div onClick={() => setN(n + 1)}>{title}</div>;
}
export const Button = (p: Props) => <button>{p.title}</button>;
"#,
        expect![[r#"
            interface Props [0..33] sel [10..15]
              field title [18..31] sel [18..23] in Props
            function App [41..165] sel [50..53]
            function Button [179..228] sel [179..185]
        "#]],
    );
}

#[test]
fn go() {
    check(
        Lang::Go,
        r#"package main

const ( A = iota; B )
var x, y int = 1, 2
type S struct { a, b int; C string }
type I interface { M() int }
type N int
type Al = S
func (s *S) M() int { return 1 }
func (g G[T]) H() {}
func F() { var z = 1; const k = 2 }
"#,
        expect![[r#"
            constant A [22..30] sel [22..23]
            constant B [32..33] sel [32..33]
            variable x [40..55] sel [40..41]
            variable y [40..55] sel [43..44]
            struct S [61..92] sel [61..62]
              field a [72..80] sel [72..73] in S
              field b [72..80] sel [75..76] in S
              field C [82..90] sel [82..83] in S
            interface I [98..121] sel [98..99]
              method M [112..119] sel [112..113] in I
            type_alias N [127..132] sel [127..128]
            type_alias Al [138..144] sel [138..140]
            method M [145..177] sel [157..158] in S
            method H [178..198] sel [192..193] in G
            function F [199..234] sel [204..205]
        "#]],
    );
}

#[test]
fn c() {
    check(
        Lang::C,
        r#"#ifndef POINT_H
#define POINT_H
#define MAX 10
#define SQUARE(x) ((x) * (x))
struct point { int x; int *y; };
typedef struct { int q; } pair;
enum color { RED, GREEN = 2 };
union value { int i; float f; };
static const int limit = 3;
char *names[] = { "a" };
int counter;
int area(struct point *p);
static int *make(void) { int local = 1; return 0; }
#endif
"#,
        expect![[r#"
            macro MAX [32..46] sel [40..43]
            macro SQUARE [47..76] sel [55..61]
            struct point [77..108] sel [84..89]
              field x [92..98] sel [96..97] in point
              field y [99..106] sel [104..105] in point
            type_alias pair [110..141] sel [136..140]
              field q [127..133] sel [131..132] in pair
            enum color [142..171] sel [147..152]
              enum_member RED [155..158] sel [155..158] in color
              enum_member GREEN [160..169] sel [160..165] in color
            struct value [173..204] sel [179..184]
              field i [187..193] sel [191..192] in value
              field f [194..202] sel [200..201] in value
            constant limit [206..233] sel [223..228]
            variable names [234..258] sel [240..245]
            function area [272..298] sel [276..280]
            function make [299..350] sel [311..315]
        "#]],
    );
}

#[test]
fn cpp() {
    check(
        Lang::Cpp,
        r#"namespace geo {
constexpr int kMax = 3;
class Shape : public Base {
 public:
  Shape(int x);
  ~Shape();
  int area() const { return 1; }
  bool operator==(const Shape&) const;
 private:
  int id_;
};
Shape::Shape(int x) : id_(x) { int local = 1; }
template <typename T> struct Box { T value; };
template <typename T> T Box<T>::get() { return value; }
using Id = int;
enum class Kind { Circle, Square };
}
"#,
        expect![[r#"
            namespace geo [0..405] sel [10..13]
              constant kMax [16..39] sel [30..34] in geo
              class Shape [40..199] sel [46..51] in geo
                constructor Shape [79..92] sel [79..84] in Shape
                method ~Shape [95..104] sel [95..101] in Shape
                method area [107..137] sel [111..115] in Shape
                method operator== [140..176] sel [145..155] in Shape
                field id_ [189..197] sel [193..196] in Shape
              constructor Shape [201..248] sel [208..213] in Shape
              struct Box [271..294] sel [278..281] in geo
                field value [284..292] sel [286..291] in Box
              method get [318..351] sel [328..331] in Box
              type_alias Id [352..367] sel [358..360] in geo
              enum Kind [368..402] sel [379..383] in geo
                enum_member Circle [386..392] sel [386..392] in Kind
                enum_member Square [394..400] sel [394..400] in Kind
        "#]],
    );
}

#[test]
fn java() {
    check(
        Lang::Java,
        r#"package a.b;
@Ann public class A<T> extends B implements I {
  public static final int MAX = 1, MIN = 0;
  private final String name;
  public A(String n) { int loc = 1; Runnable r = new Runnable() { public void run() {} }; }
  @Override public String toString() { return name; }
  enum E { X, Y; void m() {} }
  interface I { int K = 1; void run(); }
  record R(int x) {}
}
"#,
        expect![[r#"
            class A [13..374] sel [31..32]
              constant MAX [63..104] sel [87..90] in A
              constant MIN [63..104] sel [96..99] in A
              field name [107..133] sel [128..132] in A
              constructor A [136..225] sel [143..144] in A
              method toString [228..279] sel [252..260] in A
              enum E [282..310] sel [287..288] in A
                enum_member X [291..292] sel [291..292] in E
                enum_member Y [294..295] sel [294..295] in E
                method m [297..308] sel [302..303] in E
              interface I [313..351] sel [323..324] in A
                constant K [327..337] sel [331..332] in I
                method run [338..349] sel [343..346] in I
              class R [354..372] sel [361..362] in A
        "#]],
    );
}

#[test]
fn ruby() {
    check(
        Lang::Ruby,
        r#"module Shop
  VERSION = "1"
  class Cart < Base
    def initialize(items); @items = items; LOCAL = 1; end
    def self.empty; end
    class << self
      def build; end
    end
  end
end
class Shop::Order; end
def helper; end
Shop::LIMIT = 3
"#,
        expect![[r#"
            module Shop [0..186] sel [7..11]
              constant VERSION [14..27] sel [14..21] in Shop
              class Cart [30..182] sel [36..40] in Shop
                constructor initialize [52..105] sel [56..66] in Cart
                method empty [110..129] sel [119..124] in Cart
                method build [154..168] sel [158..163] in Cart
            class Order [187..209] sel [199..204]
            function helper [210..225] sel [214..220]
            constant LIMIT [226..241] sel [232..237]
        "#]],
    );
}

#[test]
fn bash() {
    check(
        Lang::Bash,
        r#"#!/bin/bash
X=1
export Y=2
readonly Z=3
declare -r W=4
setup() { local a=1; b=2; }
function cleanup { echo; }
"#,
        expect![[r#"
            variable X [12..15] sel [12..13]
            variable Y [16..26] sel [23..24]
            constant Z [27..39] sel [36..37]
            constant W [40..54] sel [51..52]
            function setup [55..82] sel [55..60]
            function cleanup [83..109] sel [92..99]
        "#]],
    );
}
