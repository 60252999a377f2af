from survey_app.cli import main

main()
