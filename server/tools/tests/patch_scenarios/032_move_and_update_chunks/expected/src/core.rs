pub fn a() {
    10
}
pub fn b() {
    20
}
