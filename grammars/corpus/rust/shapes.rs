//! Geometry primitives used by the renderer.

use std::fmt;
use std::collections::HashMap;

pub const MAX_SHAPES: usize = 1024;
pub static DEFAULT_NAME: &str = "shape";
static mut COUNTER: u64 = 0;

pub type ShapeId = u32;

/// A point in 2D space.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Point {
    pub x: f64,
    pub y: f64,
}

pub struct Wrapper(pub f64);

pub enum Shape {
    Circle { center: Point, radius: f64 },
    Rect(Point, Point),
    Empty,
}

pub union Bits {
    int: u64,
    float: f64,
}

pub trait Area {
    const UNIT: &'static str;
    type Output;
    fn area(&self) -> f64;
    fn describe(&self) -> String {
        format!("{} {}", self.area(), Self::UNIT)
    }
}

impl Point {
    pub const ORIGIN: Point = Point { x: 0.0, y: 0.0 };

    pub fn new(x: f64, y: f64) -> Self {
        Point { x, y }
    }

    pub fn distance(&self, other: &Point) -> f64 {
        let dx = self.x - other.x;
        let dy = self.y - other.y;
        (dx * dx + dy * dy).sqrt()
    }
}

impl Area for Shape {
    const UNIT: &'static str = "px²";
    type Output = f64;

    fn area(&self) -> f64 {
        const PI: f64 = std::f64::consts::PI;
        match self {
            Shape::Circle { radius, .. } => PI * radius * radius,
            Shape::Rect(a, b) => ((b.x - a.x) * (b.y - a.y)).abs(),
            Shape::Empty => 0.0,
        }
    }
}

impl fmt::Display for Point {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, {})", self.x, self.y)
    }
}

impl<'a, T: Area> From<&'a T> for Wrapper {
    fn from(value: &'a T) -> Self {
        Wrapper(value.area())
    }
}

macro_rules! point {
    ($x:expr, $y:expr) => {
        Point::new($x, $y)
    };
}

pub mod registry {
    use super::*;

    pub struct Registry {
        shapes: HashMap<ShapeId, Shape>,
    }

    impl Registry {
        pub fn insert(&mut self, id: ShapeId, shape: Shape) {
            self.shapes.insert(id, shape);
        }
    }

    pub fn global() -> Registry {
        fn empty() -> HashMap<ShapeId, Shape> {
            HashMap::new()
        }
        Registry { shapes: empty() }
    }
}

extern "C" {
    fn render_native(id: u32) -> i32;
}

pub fn main() {
    let p = point!(1.0, 2.0);
    unsafe { COUNTER += 1 };
    println!("{p} {}", MAX_SHAPES);
}
