//! Load tool (being written).

fn main() {}
