//! Build script: rebuild the server whenever the web client's build
//! (`web/dist`, embedded by `http::web_client`) appears, changes or
//! disappears. Release builds copy those files into the binary at compile
//! time, and Cargo cannot see a folder the code only names in an attribute.

fn main() {
    println!("cargo:rerun-if-changed=../../web/dist");
    println!("cargo:rerun-if-changed=build.rs");
}
