#[test]
fn print_specs() {
    for tool in gantry_e2e::tools() {
        let dir = gantry_e2e::workspace::repo_root().join("actions").join(tool.name);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("action.yml"), tool.action_yml()).unwrap();
    }
}
