from notes_builder.cli import main

main()
