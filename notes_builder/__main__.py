from notes_builder.launch import main

main()
