pub fn a() {
    1
}
pub fn b() {
    2
}
